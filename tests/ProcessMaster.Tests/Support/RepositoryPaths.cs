namespace ProcessMaster.Tests.Support;

/// <summary>Locates the repository from the test assembly (the directory holding ProcessMaster.slnx).</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Examples => Path.Combine(Root, "examples");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ProcessMaster.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (ProcessMaster.slnx) not found");
    }
}

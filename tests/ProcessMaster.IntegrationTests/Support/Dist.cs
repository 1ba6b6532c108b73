namespace ProcessMaster.IntegrationTests.Support;

/// <summary>The published binaries under test (./build.sh puts them in dist/).</summary>
public static class Dist
{
    public static string Root { get; } = FindRoot();

    public static string Daemon => Binary("processmaster");

    public static string Pmctl => Binary("pmctl");

    public static string Shim => Binary("processmaster-exec");

    private static string Binary(string name)
    {
        var path = Path.Combine(Root, "dist", name);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: run ./build.sh first (./test.sh does)");
    }

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

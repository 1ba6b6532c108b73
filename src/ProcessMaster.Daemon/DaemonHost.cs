namespace ProcessMaster.Daemon;

/// <summary>Runs the daemon until SIGTERM/SIGINT.</summary>
internal static class DaemonHost
{
    public static int Run(string configPath)
    {
        Console.Error.WriteLine("processmaster: supervision is not built yet");
        return 1;
    }
}

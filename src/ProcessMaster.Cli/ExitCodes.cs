namespace ProcessMaster.Cli;

/// <summary>pmctl's exit codes.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The operation failed, or the daemon could not be reached.</summary>
    public const int Failed = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;
}

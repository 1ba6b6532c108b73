namespace ProcessMaster.Core.Interop;

/// <summary>
/// How a process ended: an exit code, or the signal that killed it; neither for a process adopted from an
/// earlier daemon, whose status only its parent could read.
/// </summary>
public readonly record struct ExitStatus(int? Code, int? Signal)
{
    public static ExitStatus FromWaitStatus(int status)
    {
        var termination = status & 0x7f;
        return termination == 0
            ? new ExitStatus((status >> 8) & 0xff, null)
            : new ExitStatus(null, termination);
    }

    public static ExitStatus Exited(int code) => new(code, null);

    public static ExitStatus Killed(int signal) => new(null, signal);

    /// <summary>The end of an adopted process that is not the daemon's child: seen, but not its status.</summary>
    public static ExitStatus Unknown => new(null, null);

    public bool Success => Code == 0;

    public override string ToString() => (Code, Signal) switch
    {
        ({ } code, _) => $"exit code {code}",
        (_, { } signal) => $"killed by {Configuration.Values.SignalName.Format(signal)}",
        _ => "exit status unknown (adopted)",
    };
}

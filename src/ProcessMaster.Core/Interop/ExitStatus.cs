namespace ProcessMaster.Core.Interop;

/// <summary>How a process ended: an exit code, or the signal that killed it.</summary>
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

    public bool Success => Code == 0;

    public override string ToString() =>
        Code is { } code ? $"exit code {code}" : $"killed by {Configuration.Values.SignalName.Format(Signal ?? 0)}";
}

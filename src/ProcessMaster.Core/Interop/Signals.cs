namespace ProcessMaster.Core.Interop;

/// <summary>The Linux signal numbers the daemon sends itself (names for configuration: <c>SignalName</c>).</summary>
public static class Signals
{
    public const int Term = 15;
    public const int Kill = 9;
    public const int Cont = 18;

    /// <summary>
    /// Whether SIGCONT should follow <paramref name="signal"/>, so that a stopped process acts on it: not after
    /// SIGKILL (it needs none) or SIGCONT, nor after a signal meant to stop the process (STOP, TSTP, TTIN, TTOU).
    /// </summary>
    public static bool NeedsContinue(int signal) => signal is not (Kill or Cont or 19 or 20 or 21 or 22);
}

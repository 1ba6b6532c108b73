namespace ProcessMaster.Core.Interop;

/// <summary>The Linux signal numbers the daemon sends itself (names for configuration: <c>SignalName</c>).</summary>
public static class Signals
{
    public const int Term = 15;
    public const int Kill = 9;
    public const int Cont = 18;
}

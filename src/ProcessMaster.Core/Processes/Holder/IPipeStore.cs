using Microsoft.Win32.SafeHandles;

namespace ProcessMaster.Core.Processes.Holder;

/// <summary>
/// A second keeper of the output pipes beside the pipe holder: systemd's file descriptor store when the
/// daemon runs under systemd. It outlives the daemon and the holder alike, so a daemon started after both
/// died still finds every pipe and adopts instead of restarting.
/// </summary>
public interface IPipeStore
{
    /// <summary>Who keeps them, for messages.</summary>
    string Name { get; }

    /// <summary>What it kept for an earlier daemon, handed to this one at start (the caller owns the handles).</summary>
    IReadOnlyList<HeldPipe> Recovered { get; }

    /// <summary>Keeps a copy of <paramref name="pipe"/> under <paramref name="key"/>.</summary>
    void Keep(HeldPipeKey key, SafeFileHandle pipe);

    /// <summary>Lets go of <paramref name="key"/>'s copy.</summary>
    void Remove(HeldPipeKey key);
}

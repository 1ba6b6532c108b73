using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.State;

namespace ProcessMaster.Daemon.Memory;

/// <summary>
/// Gives memory back after activity: the GC keeps the regions a few requests (or a reload) grew the heap
/// by, and would hold them for the daemon's life (measured: 50 services, 20 status calls, 4.8 MB). A
/// compacting collection in aggressive mode, which also decommits the freed regions, runs once the
/// daemon has been quiet for <see cref="Quiet"/> after the last request (so a stream of requests is not
/// slowed by one per request; a small heap takes a millisecond or two), and the executable's pages the
/// requests mapped are unmapped (2 MB after status calls; <see cref="ExecutablePages.Unmap"/>).
/// </summary>
internal sealed class MemoryTrimmer(TimeProvider time)
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After boot or a reload, no stream of requests is to be spared: the trim follows once their last
    /// writes (the ready line, the state file) are done, so the daemon is at its idle size a moment later
    /// (50 services: 10.4 MB right after ready, 6.5–7.3 MB once trimmed).
    /// </summary>
    public static readonly TimeSpan AfterLoad = TimeSpan.FromMilliseconds(500);

    private readonly Lock _lock = new();
    private ITimer? _timer;

    /// <summary>Asks for a trim once the daemon has been quiet for <paramref name="quiet"/> (<see cref="Quiet"/> by default).</summary>
    public void Request(TimeSpan? quiet = null)
    {
        // Every request re-arms the one timer: no allocation per request.
        lock (_lock)
        {
            _timer ??= time.CreateTimer(_ => TrimAfterActivity(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(quiet ?? Quiet, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Collects and returns the free heap to the system now, the idle state writers' buffers with it.</summary>
    public static void TrimNow()
    {
        CoalescedFileWriter.ReleaseIdleBuffers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private static void TrimAfterActivity()
    {
        TrimNow();
        ExecutablePages.Unmap();
    }

    /// <summary>
    /// After boot and reload: parsing every definition leaves garbage, and touches code, that the steady
    /// state never needs; the executable's start-up-only pages go back too, and what the last steps map
    /// goes at the trim <see cref="AfterLoad"/> later (see docs/benchmarks.md).
    /// </summary>
    public void ReleaseLoadMemory()
    {
        DefinitionFingerprint.ReleaseMetadata();
        TrimNow();
        ExecutablePages.PageOut();
        Request(AfterLoad);
    }
}

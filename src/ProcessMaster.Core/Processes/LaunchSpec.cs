using Microsoft.Win32.SafeHandles;

namespace ProcessMaster.Core.Processes;

/// <summary>The ids a process runs as.</summary>
public sealed record Credentials(uint Uid, uint Gid, uint[] Groups);

/// <summary>Where a child's stdout or stderr goes.</summary>
public abstract record OutputTarget
{
    private OutputTarget()
    {
    }

    /// <summary>A pipe the daemon reads (and writes into the service's log).</summary>
    public static OutputTarget Pipe { get; } = new PipeTarget();

    /// <summary>/dev/null.</summary>
    public static OutputTarget Discard { get; } = new DiscardTarget();

    /// <summary>An already open file, shared with the child (admin actions append to their logs this way).</summary>
    public static OutputTarget File(SafeFileHandle handle) => new FileTarget(handle);

    /// <summary>For stderr: wherever stdout goes, the same pipe, so both streams keep the order they were written in.</summary>
    public static OutputTarget SameAsStdout { get; } = new SameAsStdoutTarget();

    public sealed record PipeTarget : OutputTarget;

    public sealed record SameAsStdoutTarget : OutputTarget;

    public sealed record DiscardTarget : OutputTarget;

    public sealed record FileTarget(SafeFileHandle Handle) : OutputTarget;
}

/// <summary>Everything needed to start one process through <c>processmaster-exec</c>.</summary>
/// <param name="CgroupProcsFiles">The <c>cgroup.procs</c> files the process joins before it executes anything.</param>
/// <param name="Argv0">What <c>ps</c> shows as the program name, e.g. <c>sleep[web]</c>.</param>
/// <param name="Environment">The complete environment, as <c>NAME=value</c>.</param>
public sealed record LaunchSpec(
    IReadOnlyList<string> CgroupProcsFiles,
    Credentials? Credentials,
    string WorkingDirectory,
    IReadOnlyList<string> Command,
    string? Argv0,
    IReadOnlyList<string> Environment,
    OutputTarget Stdout,
    OutputTarget Stderr)
{
    /// <summary>Limits, nice, I/O class, CPUs and OOM score the shim sets before the exec.</summary>
    public ExecTuning Tuning { get; init; } = ExecTuning.None;
}

/// <summary>A process that was spawned; the pipes belong to the caller.</summary>
/// <param name="ExecStatus">Reads the shim's error message, or end-of-file once the command was executed.</param>
public sealed record LaunchedProcess(int Pid, SafeFileHandle? Stdout, SafeFileHandle? Stderr, SafeFileHandle ExecStatus);

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Starts processes with <c>posix_spawn</c> (vfork-based, safe in a multi-threaded runtime) running
/// <c>processmaster-exec</c>, which joins the cgroups, drops privileges and executes the command.
/// Must be called on the event loop thread (see <see cref="ChildReaper.SpawnAsync{T}"/>).
/// </summary>
public sealed unsafe class ProcessLauncher(string shimPath)
{
    private const int F_DUPFD_CLOEXEC = 1030;
    private const int ChildFdFloor = 10;
    private const int StatusFdInChild = 3;

    /// <summary>
    /// Output pipes hold this much (the kernel default is 64 KiB): a service writing at full speed then
    /// wakes the daemon a quarter as often. The kernel allocates the pages only when they fill.
    /// </summary>
    private const int OutputPipeBytes = 1024 * 1024;

    public string ShimPath { get; } = shimPath;

    /// <summary>Finds processmaster-exec: <c>PROCESSMASTER_EXEC</c>, next to the running binary, or on PATH.</summary>
    public static string LocateShim()
    {
        if (System.Environment.GetEnvironmentVariable("PROCESSMASTER_EXEC") is { Length: > 0 } configured)
        {
            return configured;
        }

        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, "processmaster-exec") };
        if (System.Environment.ProcessPath is { } self)
        {
            candidates.Add(Path.Combine(Path.GetDirectoryName(self)!, "processmaster-exec"));
        }

        foreach (var dir in (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(dir, "processmaster-exec"));
        }

        return candidates.FirstOrDefault(File.Exists)
               ?? throw new FileNotFoundException("processmaster-exec not found next to processmaster or on PATH (set PROCESSMASTER_EXEC)");
    }

    public LaunchedProcess Launch(LaunchSpec spec)
    {
        var opened = new List<int>();
        var childEnds = new List<int>();
        var actions = NativeMemory.AllocZeroed(1024);
        var attributes = NativeMemory.AllocZeroed(1024);
        var sigset = NativeMemory.AllocZeroed(256);
        var strings = new List<nint>();
        try
        {
            Linux.FileActionsInit(actions);
            Linux.SpawnAttrInit(attributes);
            Linux.FileActionsAddOpen(actions, 0, "/dev/null", Libc.O_RDONLY, 0);

            var stdout = Connect(spec.Stdout, 1, actions, opened, childEnds);
            var stderr = Connect(spec.Stderr, 2, actions, opened, childEnds);
            var (statusRead, statusWrite) = Pipe(opened);
            childEnds.Add(statusWrite);
            Linux.FileActionsAddDup2(actions, statusWrite, StatusFdInChild);

            // The child starts with every signal at its default and none blocked.
            Linux.SigFillSet(sigset);
            Linux.SpawnAttrSetSigDefault(attributes, sigset);
            Linux.SigEmptySet(sigset);
            Linux.SpawnAttrSetSigMask(attributes, sigset);
            Linux.SpawnAttrSetFlags(attributes, Linux.POSIX_SPAWN_SETSIGDEF | Linux.POSIX_SPAWN_SETSIGMASK);

            var argv = ToNative(ShimArguments(spec), strings);
            var envp = ToNative(spec.Environment, strings);
            int pid;
            int rc;
            fixed (nint* a = argv)
            fixed (nint* e = envp)
            {
                rc = Linux.PosixSpawn(&pid, ShimPath, actions, attributes, a, e);
            }

            if (rc != 0)
            {
                throw new SpawnException($"cannot start {ShimPath}: {Linux.ErrorText(rc)}");
            }

            foreach (var fd in childEnds)
            {
                Libc.Close(fd);
                opened.Remove(fd);
            }

            opened.Clear(); // the remaining descriptors now belong to the returned handles
            return new LaunchedProcess(pid, stdout, stderr, new SafeFileHandle(statusRead, ownsHandle: true));
        }
        finally
        {
            foreach (var fd in opened)
            {
                Libc.Close(fd);
            }

            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }

            Linux.FileActionsDestroy(actions);
            Linux.SpawnAttrDestroy(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(sigset);
        }
    }

    /// <summary>
    /// Starts the pipe holder (<c>processmaster-exec --hold</c>) on <paramref name="listener"/>, moved into
    /// the group of <paramref name="procsFile"/> by the shim like any service; returns its pid. Its stdio is
    /// /dev/null: it outlives the daemon, so it must not keep the daemon's output (a journal stream, a
    /// terminal, a caller's pipe) open.
    /// </summary>
    public int SpawnHolder(int listener, string procsFile) => SpawnPlain(
        ShimPath,
        [ShimPath, "--cgroup-procs", procsFile, "--keep-fd", Inherited, "--", ShimPath, "--hold", Inherited],
        [],
        output: -1,
        inherit: listener);

    /// <summary>The descriptor number <see cref="SpawnPlain"/> hands <c>inherit</c> over as.</summary>
    public const int InheritedFd = 3;

    private static readonly string Inherited = InheritedFd.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts <paramref name="path"/> directly (no shim, no cgroup, as root): stdin /dev/null, stdout and
    /// stderr to <paramref name="output"/> (-1: /dev/null), <paramref name="inherit"/> (unless -1) as
    /// descriptor <see cref="InheritedFd"/>. Returns the pid; the caller reaps it.
    /// </summary>
    public static int SpawnPlain(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, int output, int inherit)
    {
        var actions = NativeMemory.AllocZeroed(1024);
        var strings = new List<nint>();
        try
        {
            Linux.FileActionsInit(actions);
            Linux.FileActionsAddOpen(actions, 0, "/dev/null", Libc.O_RDONLY, 0);
            foreach (var fd in (int[])[1, 2])
            {
                if (output < 0)
                {
                    Linux.FileActionsAddOpen(actions, fd, "/dev/null", Libc.O_WRONLY, 0);
                }
                else
                {
                    Linux.FileActionsAddDup2(actions, output, fd);
                }
            }

            if (inherit >= 0)
            {
                Linux.FileActionsAddDup2(actions, inherit, InheritedFd);
            }

            var args = ToNative(argv, strings);
            var envp = ToNative(environment, strings);
            int pid;
            int rc;
            fixed (nint* a = args)
            fixed (nint* e = envp)
            {
                rc = Linux.PosixSpawn(&pid, path, actions, null, a, e);
            }

            return rc == 0 ? pid : throw new SpawnException($"cannot start {path}: {Linux.ErrorText(rc)}");
        }
        finally
        {
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }

            Linux.FileActionsDestroy(actions);
            NativeMemory.Free(actions);
        }
    }

    private static SafeFileHandle? Connect(OutputTarget target, int childFd, void* actions, List<int> opened, List<int> childEnds)
    {
        switch (target)
        {
            case OutputTarget.PipeTarget:
                var (read, write) = Pipe(opened);
                childEnds.Add(write);
                Linux.FileActionsAddDup2(actions, write, childFd);
                Linux.Fcntl(read, Linux.F_SETFL, Libc.O_NONBLOCK);
                Linux.Fcntl(read, Linux.F_SETPIPE_SZ, OutputPipeBytes); // best effort: a lower pipe-max-size keeps the default
                return new SafeFileHandle(read, ownsHandle: true);
            case OutputTarget.FileTarget file:
                Linux.FileActionsAddDup2(actions, (int)file.Handle.DangerousGetHandle(), childFd);
                return null;
            case OutputTarget.SameAsStdoutTarget:
                Linux.FileActionsAddDup2(actions, 1, childFd); // file actions run in order: fd 1 is in place by now
                return null;
            default:
                Linux.FileActionsAddOpen(actions, childFd, "/dev/null", Libc.O_WRONLY, 0);
                return null;
        }
    }

    /// <summary>A pipe for a child's output, its read end non-blocking (both ends close-on-exec): give the write end to the child as a file.</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) OutputPipe()
    {
        var opened = new List<int>();
        var (read, write) = Pipe(opened);
        Linux.Fcntl(read, Linux.F_SETFL, Libc.O_NONBLOCK);
        return (new SafeFileHandle(read, ownsHandle: true), new SafeFileHandle(write, ownsHandle: true));
    }

    /// <summary>A close-on-exec pipe with both ends moved above the stdio numbers, so dup2 into 0-3 never collides.</summary>
    private static (int Read, int Write) Pipe(List<int> opened)
    {
        var fds = stackalloc int[2];
        if (Linux.Pipe2(fds, Libc.O_CLOEXEC) < 0)
        {
            throw new SpawnException($"cannot create a pipe: {Linux.LastErrorText()}");
        }

        var read = Linux.Fcntl(fds[0], F_DUPFD_CLOEXEC, ChildFdFloor);
        var write = Linux.Fcntl(fds[1], F_DUPFD_CLOEXEC, ChildFdFloor);
        Libc.Close(fds[0]);
        Libc.Close(fds[1]);
        if (read < 0 || write < 0)
        {
            if (read >= 0) Libc.Close(read);
            if (write >= 0) Libc.Close(write);
            throw new SpawnException($"cannot create a pipe: {Linux.LastErrorText()}");
        }

        opened.Add(read);
        opened.Add(write);
        return (read, write);
    }

    private List<string> ShimArguments(LaunchSpec spec)
    {
        var args = new List<string> { ShimPath, "--status-fd", StatusFdInChild.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var file in spec.CgroupProcsFiles)
        {
            args.Add("--cgroup-procs");
            args.Add(file);
        }

        if (spec.Credentials is { } c)
        {
            args.AddRange(["--uid", c.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--gid", c.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--groups", string.Join(',', c.Groups)]);
        }

        args.AddRange(spec.Tuning.ShimArguments());
        args.AddRange(["--chdir", spec.WorkingDirectory]);
        if (spec.Argv0 is { } argv0)
        {
            args.AddRange(["--argv0", argv0]);
        }

        args.Add("--");
        args.AddRange(spec.Command);
        return args;
    }

    /// <summary>A NULL-terminated array of UTF-8 strings for exec; each allocation is added to <paramref name="owned"/> to free.</summary>
    internal static nint[] ToNative(IReadOnlyList<string> items, List<nint> owned)
    {
        var array = new nint[items.Count + 1];
        for (var i = 0; i < items.Count; i++)
        {
            array[i] = Marshal.StringToCoTaskMemUTF8(items[i]);
            owned.Add(array[i]);
        }

        return array;
    }
}

using System.Runtime.InteropServices;
using System.Text;

namespace ProcessMaster.Exec;

internal static unsafe class Shim
{
    public const int FailureExitCode = 127;

    public static int Run(string[] args)
    {
        ShimOptions? options = null;
        try
        {
            options = ShimOptions.Parse(args);
            JoinCgroups(options.CgroupProcsFiles);
            if (Native.setsid() < 0)
            {
                throw new ShimException($"setsid failed: {Native.LastError()}");
            }

            Tune(options); // as root: raising a hard limit, a negative nice, a realtime class or a lower OOM score need it
            DropPrivileges(options);
            if (options.WorkingDirectory is { } directory && Native.chdir(directory) < 0)
            {
                throw new ShimException($"cannot enter working directory {directory}: {Native.LastError()}");
            }

            ResetSignals();
            Shared.CloseOnExec.AllAbove2Except(options.KeptFds);
            Exec(options);
            return FailureExitCode; // Exec only returns by throwing.
        }
        catch (ShimException e)
        {
            var line = $"processmaster-exec: {e.Message}\n";
            if (options?.StatusFd is { } fd)
            {
                Native.WriteAll(fd, line);
            }

            Native.WriteAll(2, line);
            if (options is null)
            {
                Native.WriteAll(2, ShimOptions.Usage + "\n");
            }

            return FailureExitCode;
        }
    }

    private static void JoinCgroups(List<string> files)
    {
        var pid = Encoding.ASCII.GetBytes($"{Native.getpid()}\n");
        foreach (var file in files)
        {
            var fd = Native.open(file, Native.O_WRONLY | Native.O_CLOEXEC, 0);
            if (fd < 0)
            {
                throw new ShimException($"cannot open {file}: {Native.LastError()}");
            }

            try
            {
                fixed (byte* p = pid)
                {
                    if (Native.write(fd, p, pid.Length) != pid.Length)
                    {
                        throw new ShimException($"cannot join cgroup via {file}: {Native.LastError()}");
                    }
                }
            }
            finally
            {
                Native.close(fd);
            }
        }
    }

    private static void Tune(ShimOptions options)
    {
        if (options.Umask is { } umask)
        {
            Native.umask((uint)umask);
        }

        var pair = stackalloc ulong[2];
        foreach (var (resource, soft, hard) in options.Limits)
        {
            pair[0] = soft;
            pair[1] = hard;
            if (Native.setrlimit(resource, pair) < 0)
            {
                throw new ShimException($"setrlimit({resource}, {soft}, {hard}) failed: {Native.LastError()}");
            }
        }

        if (options.Nice is { } nice && Native.setpriority(0 /* PRIO_PROCESS */, 0, nice) < 0)
        {
            throw new ShimException($"setpriority({nice}) failed: {Native.LastError()}");
        }

        if (options.IoPriority is { } priority && Native.syscall(Native.IoprioSetSyscall, 1 /* IOPRIO_WHO_PROCESS */, 0, priority) < 0)
        {
            throw new ShimException($"ioprio_set({priority >> 13}:{priority & 7}) failed: {Native.LastError()}");
        }

        if (options.Cpus.Count > 0)
        {
            var mask = stackalloc byte[128];
            new Span<byte>(mask, 128).Clear();
            foreach (var cpu in options.Cpus)
            {
                mask[cpu / 8] |= (byte)(1 << (cpu % 8));
            }

            if (Native.sched_setaffinity(0, 128, mask) < 0)
            {
                throw new ShimException($"sched_setaffinity({string.Join(',', options.Cpus)}) failed: {Native.LastError()}");
            }
        }

        if (options.OomScoreAdjust is { } oom)
        {
            var fd = Native.open("/proc/self/oom_score_adj", Native.O_WRONLY | Native.O_CLOEXEC, 0);
            var text = Encoding.ASCII.GetBytes(oom.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fixed (byte* p = text)
            {
                var written = fd >= 0 ? Native.write(fd, p, text.Length) : -1;
                var error = written != text.Length ? Native.LastError() : null;
                if (fd >= 0)
                {
                    Native.close(fd);
                }

                if (error is not null)
                {
                    throw new ShimException($"cannot set oom_score_adj to {oom}: {error}");
                }
            }
        }
    }

    private static void DropPrivileges(ShimOptions options)
    {
        if (options.Uid is not { } uid || options.Gid is not { } gid)
        {
            return;
        }

        var groups = options.Groups.Length > 0 ? options.Groups : [gid];
        fixed (uint* g = groups)
        {
            if (Native.setgroups(groups.Length, g) < 0)
            {
                throw new ShimException($"setgroups failed: {Native.LastError()}");
            }
        }

        if (Native.setgid(gid) < 0)
        {
            throw new ShimException($"setgid({gid}) failed: {Native.LastError()}");
        }

        if (Native.setuid(uid) < 0)
        {
            throw new ShimException($"setuid({uid}) failed: {Native.LastError()}");
        }

        // Verify rather than trust: every id must now be the target, and root must not be regainable.
        if (Native.getuid() != uid || Native.geteuid() != uid || Native.getgid() != gid || Native.getegid() != gid)
        {
            throw new ShimException($"credentials did not change to uid={uid} gid={gid}");
        }

        if (uid != 0 && Native.setuid(0) == 0)
        {
            throw new ShimException("privileges could be regained after dropping them; refusing to run");
        }
    }

    private static void ResetSignals()
    {
        // Exec keeps ignored signals ignored and the mask as it is; the service must start clean.
        for (var signal = 1; signal < 65; signal++)
        {
            if (signal is 9 or 19 or 32 or 33)
            {
                continue; // SIGKILL and SIGSTOP cannot be changed; 32 and 33 belong to glibc.
            }

            Native.signal(signal, 0);
        }

        var empty = stackalloc byte[128];
        new Span<byte>(empty, 128).Clear();
        Native.sigprocmask(2 /* SIG_SETMASK */, empty, null);
    }

    private static void Exec(ShimOptions options)
    {
        var argv = new nint[options.Command.Length + 1];
        argv[0] = Marshal.StringToCoTaskMemUTF8(options.Argv0 ?? options.Command[0]);
        for (var i = 1; i < options.Command.Length; i++)
        {
            argv[i] = Marshal.StringToCoTaskMemUTF8(options.Command[i]);
        }

        fixed (nint* p = argv)
        {
            // execvp searches the PATH of the environment the daemon gave us, i.e. the service's.
            Native.execvp(options.Command[0], p);
        }

        throw new ShimException($"cannot execute {options.Command[0]}: {Native.LastError()}");
    }
}

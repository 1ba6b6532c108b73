using System.Runtime.InteropServices;
using System.Text;

namespace ProcessMaster.Exec;

/// <summary>The libc calls the shim makes; nothing else, to keep it small and its start fast.</summary>
internal static unsafe partial class Native
{
    public const int O_WRONLY = 1;
    public const int O_CLOEXEC = 0x80000;
    private const int F_SETFD = 2;
    private const int FD_CLOEXEC = 1;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc")]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc")]
    public static partial int getpid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chdir(string path);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setgroups(nint size, uint* list);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setgid(uint gid);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setuid(uint uid);

    [LibraryImport("libc")]
    public static partial uint getuid();

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc")]
    public static partial uint getgid();

    [LibraryImport("libc")]
    public static partial uint getegid();

    [LibraryImport("libc")]
    public static partial nint signal(int signal, nint handler);

    [LibraryImport("libc")]
    public static partial int sigprocmask(int how, byte* set, byte* oldSet);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int execvp(string file, nint* argv);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setrlimit(int resource, ulong* limits);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setpriority(int which, uint who, int priority);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint syscall(nint number, nint a, nint b, nint c);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nint size, byte* mask);

    [LibraryImport("libc")]
    public static partial uint umask(uint mask);

    /// <summary>ioprio_set has no libc wrapper; its number differs by architecture.</summary>
    public static nint IoprioSetSyscall => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 251,
        Architecture.Arm64 => 30,
        var other => throw new ShimException($"io_scheduling is not supported on {other}"),
    };

    public static string LastError() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    public static void SetCloseOnExec(int fd) => fcntl(fd, F_SETFD, FD_CLOEXEC);

    public static void WriteAll(int fd, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = write(fd, p + done, bytes.Length - done);
                if (n <= 0)
                {
                    return;
                }

                done += (int)n;
            }
        }
    }
}

using System.Runtime.InteropServices;

namespace ProcessMaster.Tests.Support;

/// <summary>What a service's user can leave in its directories: FIFOs, hard links, symlinks owned by anyone.</summary>
internal static partial class HostileFiles
{
    public static bool IsRoot => Environment.UserName == "root";

    public static void Fifo(string path)
    {
        if (MkFifo(path, 0x1B6) < 0)
        {
            throw new IOException($"mkfifo {path}: {Marshal.GetLastPInvokeError()}");
        }
    }

    public static void HardLink(string existing, string link)
    {
        if (Link(existing, link) < 0)
        {
            throw new IOException($"link {link}: {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Makes <paramref name="directory"/> writable by everyone: a link in it is then one anybody could have made.</summary>
    public static void WorldWritable(string directory) => File.SetUnixFileMode(directory, (UnixFileMode)0x1FF);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, int mode);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);
}

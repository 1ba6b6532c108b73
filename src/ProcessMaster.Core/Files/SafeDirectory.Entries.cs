using System.Text;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Files;

/// <summary>Listing a held directory (getdents64), since .NET can only list directories by path.</summary>
internal sealed partial class SafeDirectory
{
    /// <summary>Most names read from one directory: a service cannot make the daemon hold a million of them.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>The names in the directory (not <c>.</c> and <c>..</c>), at most <see cref="MaxEntries"/>.</summary>
    public unsafe List<string> Names()
    {
        // A fresh open file description, so concurrent listings never share a read position.
        var fd = Libc.OpenAt(Fd, ".", DirectoryFlags, 0);
        if (fd < 0)
        {
            throw Failure("cannot list");
        }

        var names = new List<string>();
        var buffer = stackalloc byte[16 * 1024];
        try
        {
            while (names.Count < MaxEntries)
            {
                var n = Libc.GetDents64(fd, buffer, 16 * 1024);
                if (n < 0)
                {
                    throw Failure("cannot list");
                }

                if (n == 0)
                {
                    break;
                }

                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                for (var offset = 0; offset < n;)
                {
                    var length = *(ushort*)(buffer + offset + 16);
                    var name = new ReadOnlySpan<byte>(buffer + offset + 19, length - 19);
                    var end = name.IndexOf((byte)0);
                    var text = Encoding.UTF8.GetString(end >= 0 ? name[..end] : name);
                    if (text is not ("." or ".."))
                    {
                        names.Add(text);
                    }

                    offset += length;
                }
            }
        }
        finally
        {
            Libc.Close(fd);
        }

        return names;
    }
}

using System.Runtime.InteropServices;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Files;

/// <summary>
/// Who, besides root, can change what a path names: the owner of the file or of any directory above it,
/// a group or everyone where write permission is granted (a sticky directory lets others create entries
/// but not replace someone else's). Like OpenSSH's StrictModes, but as an answer rather than a refusal:
/// the daemon then trusts a definition only as much as the people who can change it.
/// </summary>
public sealed partial class Writers
{
    private const int Sticky = 0x200;
    private const int GroupWrite = 0x10;
    private const int OtherWrite = 0x2;

    private Writers(SortedSet<uint> users, SortedSet<uint> groups, bool everyone)
    {
        Users = users;
        Groups = groups;
        Everyone = everyone;
    }

    /// <summary>Only root.</summary>
    public static Writers None { get; } = new([], [], false);

    public IReadOnlySet<uint> Users { get; }

    public IReadOnlySet<uint> Groups { get; }

    public bool Everyone { get; }

    public bool IsNone => Users.Count == 0 && Groups.Count == 0 && !Everyone;

    /// <summary>The one user who can change it, when exactly one user (and no group) can.</summary>
    public uint? SingleUser => Users.Count == 1 && Groups.Count == 0 && !Everyone ? Users.First() : null;

    public static Writers OfUser(uint uid) => uid == 0 ? None : new([uid], [], false);

    public Writers Union(Writers other) => new([.. Users, .. other.Users], [.. Groups, .. other.Groups], Everyone || other.Everyone);

    /// <summary>Those of these writers that <paramref name="trusted"/> does not cover.</summary>
    public Writers Beyond(Writers trusted) => trusted.Everyone
        ? None
        : new([.. Users.Where(u => !trusted.Users.Contains(u))], [.. Groups.Where(g => !trusted.Groups.Contains(g))], Everyone);

    public string Describe(IUserDatabase users)
    {
        var parts = Users.Select(u => users.FindUser(u.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } account ? $"uid {u} ({account.Name})" : $"uid {u}")
            .Concat(Groups.Select(g => $"group {g}"));
        return string.Join(", ", Everyone ? parts.Append("everyone") : parts);
    }

    /// <summary>
    /// Who can change <paramref name="path"/>: every directory on the way as written (a symlink there can be
    /// replaced by whoever can write its directory) and as resolved, and the file itself.
    /// </summary>
    /// <exception cref="IOException">The path cannot be resolved.</exception>
    public static Writers OfPath(string path)
    {
        var full = Path.GetFullPath(path);
        var real = RealPath(full) ?? throw new IOException($"{full}: {Linux.LastErrorText()}");
        var result = Ancestors(full).Concat(Ancestors(real))
            .Select(directory => Stat(directory, followLinks: true) is { } st && IsDirectory(st) ? OfDirectory(st) : None)
            .Aggregate(None, (all, next) => all.Union(next));
        return Stat(real, followLinks: true) is { } file ? result.Union(OfInode(file)) : result;
    }

    /// <summary>Who can change a file's contents (the directory aside).</summary>
    internal static Writers OfInode(Libc.Statx st) => new(
        st.Uid == 0 ? [] : [st.Uid],
        (st.Mode & GroupWrite) != 0 ? [st.Gid] : [],
        (st.Mode & OtherWrite) != 0);

    /// <summary>Who can add, remove or replace entries of a directory.</summary>
    private static Writers OfDirectory(Libc.Statx st) => (st.Mode & Sticky) != 0
        ? OfUser(st.Uid) // others may add entries, but not replace anyone else's
        : OfInode(st);

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var directory = Path.GetDirectoryName(path); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            yield return directory;
        }
    }

    private static bool IsDirectory(Libc.Statx st) => (st.Mode & Libc.S_IFMT) == Libc.S_IFDIR;

    private static Libc.Statx? Stat(string path, bool followLinks) =>
        Libc.StatxPath(Libc.AT_FDCWD, path, followLinks ? 0 : Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_BASIC_STATS, out var st) == 0 ? st : null;

    private static unsafe string? RealPath(string path)
    {
        var resolved = RealPathNative(path, null);
        if (resolved == null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial byte* RealPathNative(string path, byte* resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static unsafe partial void Free(byte* pointer);
}

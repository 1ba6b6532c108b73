using System.Globalization;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>A user account as the service will run under it.</summary>
public sealed record UserAccount(string Name, uint Uid, uint Gid, string Home, string Shell);

/// <summary>A group account.</summary>
public sealed record GroupAccount(string Name, uint Gid);

/// <summary>Looks up users and groups; a seam so configuration validation is testable without the host's accounts.</summary>
public interface IUserDatabase
{
    /// <summary>A user by name, or by numeric uid (which need not be in the passwd database).</summary>
    UserAccount? FindUser(string nameOrId);

    /// <summary>A group by name, or by numeric gid.</summary>
    GroupAccount? FindGroup(string nameOrId);

    /// <summary>The supplementary groups of a user (getgrouplist), including <paramref name="primaryGid"/>.</summary>
    uint[] SupplementaryGroups(string userName, uint primaryGid);
}

/// <summary>The host's passwd and group databases through libc (NSS included).</summary>
public sealed unsafe class SystemUserDatabase : IUserDatabase
{
    public static SystemUserDatabase Instance { get; } = new();

    public UserAccount? FindUser(string nameOrId)
    {
        var byName = Lookup(nameOrId, byId: false);
        if (byName is not null)
        {
            return byName;
        }

        return uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            ? Lookup(nameOrId, byId: true) ?? new UserAccount(nameOrId, uid, uid, "/", "/bin/sh")
            : null;
    }

    public GroupAccount? FindGroup(string nameOrId)
    {
        var byName = LookupGroup(nameOrId, byId: false);
        if (byName is not null)
        {
            return byName;
        }

        return uint.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var gid)
            ? LookupGroup(nameOrId, byId: true) ?? new GroupAccount(nameOrId, gid)
            : null;
    }

    public uint[] SupplementaryGroups(string userName, uint primaryGid)
    {
        var count = 64;
        while (true)
        {
            var groups = new uint[count];
            int n = count;
            fixed (uint* p = groups)
            {
                if (Libc.GetGroupList(userName, primaryGid, p, &n) >= 0)
                {
                    return groups[..n];
                }
            }

            if (n <= count)
            {
                return [primaryGid];
            }

            count = n;
        }
    }

    private static UserAccount? Lookup(string key, bool byId)
    {
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            Libc.Passwd pwd;
            Libc.Passwd* result = null;
            int rc;
            fixed (byte* b = buffer)
            {
                rc = byId
                    ? Libc.GetPwUid(uint.Parse(key, CultureInfo.InvariantCulture), &pwd, b, size, &result)
                    : Libc.GetPwNam(key, &pwd, b, size, &result);
                if (rc == 0 && result != null)
                {
                    return new UserAccount(Libc.Utf8(pwd.Name) ?? key, pwd.Uid, pwd.Gid,
                        Libc.Utf8(pwd.Dir) is { Length: > 0 } home ? home : "/",
                        Libc.Utf8(pwd.Shell) is { Length: > 0 } shell ? shell : "/bin/sh");
                }
            }

            if (rc != Libc.ERANGE)
            {
                return null;
            }
        }

        return null;
    }

    private static GroupAccount? LookupGroup(string key, bool byId)
    {
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            Libc.Group grp;
            Libc.Group* result = null;
            int rc;
            fixed (byte* b = buffer)
            {
                rc = byId
                    ? Libc.GetGrGid(uint.Parse(key, CultureInfo.InvariantCulture), &grp, b, size, &result)
                    : Libc.GetGrNam(key, &grp, b, size, &result);
                if (rc == 0 && result != null)
                {
                    return new GroupAccount(Libc.Utf8(grp.Name) ?? key, grp.Gid);
                }
            }

            if (rc != Libc.ERANGE)
            {
                return null;
            }
        }

        return null;
    }
}

using ProcessMaster.Core.Processes;

namespace ProcessMaster.Tests.Support;

/// <summary>A fixed set of accounts: root, nobody (65534) and app (1000, group app and extra).</summary>
public sealed class FakeUserDatabase : IUserDatabase
{
    public static FakeUserDatabase Instance { get; } = new();

    private static readonly UserAccount[] Users =
    [
        new("root", 0, 0, "/root", "/bin/bash"),
        new("nobody", 65534, 65534, "/nonexistent", "/usr/sbin/nologin"),
        new("app", 1000, 1000, "/home/app", "/bin/sh"),
    ];

    private static readonly GroupAccount[] Groups =
    [
        new("root", 0), new("nogroup", 65534), new("app", 1000), new("extra", 2000),
    ];

    public UserAccount? FindUser(string nameOrId) =>
        Users.FirstOrDefault(u => u.Name == nameOrId || u.Uid.ToString() == nameOrId);

    public GroupAccount? FindGroup(string nameOrId) =>
        Groups.FirstOrDefault(g => g.Name == nameOrId || g.Gid.ToString() == nameOrId);

    public uint[] SupplementaryGroups(string userName, uint primaryGid) =>
        userName == "app" ? [primaryGid, 2000] : [primaryGid];
}

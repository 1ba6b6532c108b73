using ProcessMaster.Core.Files;
using ProcessMaster.Core.Logs;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Files;

/// <summary>What a service's user can do to the directories the root daemon works in, and that none of it is followed or trusted.</summary>
public sealed class SafeDirectoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A directory anybody can write, as a service's working directory is for its user.</summary>
    private string Hostile(string name)
    {
        var path = _dir.Dir(name);
        HostileFiles.WorldWritable(path);
        return path;
    }

    [Fact]
    public void Open_RefusesASymlinkInAnyComponent_ThatANonRootUserCouldHaveMade()
    {
        var service = Hostile("service");
        var secrets = _dir.Dir("secrets");
        File.CreateSymbolicLink(Path.Combine(service, "logs"), secrets);

        var refused = Assert.Throws<UnsafeFileException>(() => SafeDirectory.Open(Path.Combine(service, "logs")));
        Assert.Contains("logs: is a symbolic link", refused.Message);
        Assert.Throws<UnsafeFileException>(() => SafeDirectory.Open(Path.Combine(service, "logs", "deeper"), create: true));
        Assert.False(Directory.Exists(Path.Combine(secrets, "deeper")));
    }

    [Fact]
    public void Open_FollowsALinkThatOnlyRootCouldHaveMade()
    {
        if (!HostileFiles.IsRoot)
        {
            return; // only root can make a root-owned link
        }

        var trusted = _dir.Dir("trusted");
        File.SetUnixFileMode(trusted, (UnixFileMode)0x1ED); // 0755, root's
        var real = _dir.Dir("real");
        File.CreateSymbolicLink(Path.Combine(trusted, "srv"), real);
        using (var directory = SafeDirectory.Open(Path.Combine(trusted, "srv")))
        {
            Assert.Empty(directory.Names());
        }

        File.SetUnixFileMode(trusted, (UnixFileMode)0x1FD); // 0775: a group could have placed it
        Assert.Throws<UnsafeFileException>(() => SafeDirectory.Open(Path.Combine(trusted, "srv")));
    }

    [Fact]
    public void Open_CreatesMissingDirectories()
    {
        using var directory = SafeDirectory.Open(Path.Combine(_dir.Path, "a", "b", "c"), create: true);
        Assert.True(Directory.Exists(Path.Combine(_dir.Path, "a", "b", "c")));
        var missing = Assert.ThrowsAny<IOException>(() => SafeDirectory.Open(Path.Combine(_dir.Path, "missing")));
        Assert.Contains("missing: No such file or directory", missing.Message);
    }

    [Fact]
    public async Task OpeningAFifo_NeverBlocks_AndIsRefused()
    {
        var service = Hostile("service");
        HostileFiles.Fifo(Path.Combine(service, "stdout.log"));
        using var directory = SafeDirectory.Open(service);

        var open = Task.Run(() =>
        {
            var append = Assert.Throws<UnsafeFileException>(() => directory.OpenForAppend("stdout.log", LogFile.FileMode, TestOwners.Current));
            var read = Assert.Throws<UnsafeFileException>(() => directory.OpenForReading("stdout.log", TestOwners.Current));
            return (append.Message, read.Message);
        });
        Assert.Same(open, await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(30))));
        var (append, read) = await open;
        Assert.Contains("is a FIFO, not a regular file", append);
        Assert.Contains("is a FIFO, not a regular file", read);
    }

    [Fact]
    public void AHardLink_IsRefused_ItMayBeAnotherFilesName()
    {
        var secret = _dir.File("secret", "root's secret\n");
        var service = Hostile("service");
        HostileFiles.HardLink(secret, Path.Combine(service, "stdout.log"));
        using var directory = SafeDirectory.Open(service);

        var refused = Assert.Throws<UnsafeFileException>(() => directory.OpenForReading("stdout.log", TestOwners.Current));
        Assert.Contains("has 2 hard links", refused.Message);
        Assert.Throws<UnsafeFileException>(() => directory.OpenForAppend("stdout.log", LogFile.FileMode, TestOwners.Current));
        Assert.Equal("root's secret\n", File.ReadAllText(secret));
    }

    [Fact]
    public void AFileOwnedBySomeoneElse_IsRefused()
    {
        if (!HostileFiles.IsRoot)
        {
            return; // only root can give a file away
        }

        var path = _dir.File("stdout.log", "another user's file\n");
        File.SetUnixFileMode(path, (UnixFileMode)0x1B6);
        var nobody = Core.Processes.SystemUserDatabase.Instance.FindUser("nobody")!;
        Assert.Equal(0, Core.Interop.Libc.Chown(path, nobody.Uid, nobody.Gid));
        using var directory = SafeDirectory.Open(_dir.Path);

        var refused = Assert.Throws<UnsafeFileException>(() => directory.OpenForReading("stdout.log", FileOwners.RootOnly));
        Assert.Contains($"owned by uid {nobody.Uid}", refused.Message);
        using var allowed = directory.OpenForReading("stdout.log", new FileOwners(nobody.Uid));
    }

    [Fact]
    public void RenameAndDelete_ActOnALinkItself_NeverOnItsTarget()
    {
        var secret = _dir.File("secret", "keep me\n");
        var service = Hostile("service");
        File.CreateSymbolicLink(Path.Combine(service, "stdout.log.1"), secret);
        File.CreateSymbolicLink(Path.Combine(service, "stdout.log.2"), secret);
        using var directory = SafeDirectory.Open(service);

        directory.Rename("stdout.log.1", "stdout.log.3");
        Assert.True(directory.Delete("stdout.log.2"));
        Assert.False(directory.Delete("stdout.log.2"));

        Assert.Equal("keep me\n", File.ReadAllText(secret));
        Assert.Equal(["stdout.log.3"], directory.Names());
        Assert.Equal(Core.Interop.Libc.S_IFLNK, directory.Stat("stdout.log.3")!.Value.Mode & Core.Interop.Libc.S_IFMT);
    }

    [Fact]
    public void Names_ListsEverything_ButDotAndDotDot()
    {
        var names = Enumerable.Range(0, 500).Select(i => $"file-{i}").ToHashSet();
        foreach (var name in names)
        {
            _dir.File(name, "");
        }

        using var directory = SafeDirectory.Open(_dir.Path);
        Assert.Equal(names, directory.Names().ToHashSet());
    }

    [Fact]
    public void TailOfALogReplacedByALinkToARootFile_ShowsNothingOfIt()
    {
        var secret = _dir.File("shadow", "root:$6$secret-hash:19000:0:99999:7:::\n");
        var logs = Hostile("logs");
        File.CreateSymbolicLink(Path.Combine(logs, "stdout.log"), secret);

        var refused = Assert.Throws<UnsafeFileException>(() => LogTailReader.LastLines(Path.Combine(logs, "stdout.log"), 10, TestOwners.Current, 1 << 20));
        Assert.DoesNotContain("secret-hash", refused.Message);
    }

    [Fact]
    public void TailReadsAtMostTheByteBudget_FromTheEnd()
    {
        var path = _dir.File("big.log", string.Concat(Enumerable.Range(0, 10_000).Select(i => $"line {i:D5}\n")));
        var lines = LogTailReader.LastLines(path, 10_000, TestOwners.Current, maxBytes: 1200);
        Assert.InRange(lines.Count, 105, 109); // 1200 bytes of 11-byte lines, the first (cut) one left out
        Assert.Equal("line 09999", lines[^1]);
    }
}

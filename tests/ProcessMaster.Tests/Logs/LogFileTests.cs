using System.IO.Compression;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Logs;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Logs;

public sealed class LogFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 9, 10, 59, 0, TimeSpan.Zero)) { };
    private readonly List<string> _reports = [];

    public LogFileTests() => _time.SetLocalTimeZone(TimeZoneInfo.Utc);

    public void Dispose() => _dir.Dispose();

    private string BasePath => Path.Combine(_dir.Path, "logs", "out.log");

    private LogFile Create(RotationSettings rotation) => new(BasePath, rotation, _time, _reports.Add, TestOwners.Current);

    /// <summary>The numbered backups, as full paths.</summary>
    private List<(string Path, int Number, bool Compressed)> Numbered()
    {
        using var directory = SafeDirectory.Open(Path.GetDirectoryName(BasePath)!);
        return BackupFiles.Numbered(directory, "out.log").Select(b => (Path.Combine(directory.Path, b.Name), b.Number, b.Compressed)).ToList();
    }

    private int RotatedCopies()
    {
        using var directory = SafeDirectory.Open(Path.GetDirectoryName(BasePath)!);
        return BackupFiles.All(directory, "out.log").Count;
    }

    /// <summary>Every copy, oldest first, decompressed: numbered backups from the highest number, then the live file.</summary>
    private string ReadAllSizeRotated()
    {
        var text = new StringBuilder();
        foreach (var backup in Numbered().OrderByDescending(b => b.Number))
        {
            text.Append(Read(backup.Path));
        }

        return text.Append(File.ReadAllText(BasePath)).ToString();
    }

    private static string Read(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return File.ReadAllText(path);
        }

        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task SizeRotation_KeepsAContiguousRunOfWholeLines_AndAtMostTheBackups()
    {
        using var file = Create(RotationSettings.BySize(1000, 3, compress: true));
        var random = new Random(42);
        var pending = new StringBuilder();
        for (var i = 1; i <= 2000; i++)
        {
            pending.Append(i).Append('\n');
            if (random.Next(5) == 0 || i == 2000)
            {
                // Chunks of any size, cut anywhere, as reads from a pipe are.
                var bytes = Encoding.ASCII.GetBytes(pending.ToString());
                var cut = random.Next(bytes.Length + 1);
                file.Append(bytes.AsSpan(0, cut));
                file.Append(bytes.AsSpan(cut));
                pending.Clear();
                Assert.True(Numbered().Select(b => b.Number).Distinct().Count() <= 3);
            }
        }

        await LogCompressor.Shared.DrainAsync();
        var backups = Numbered();
        Assert.Equal([1, 2, 3], backups.Select(b => b.Number).Order());
        Assert.All(Directory.EnumerateFiles(Path.GetDirectoryName(BasePath)!), f => Assert.DoesNotContain(".tmp", f));
        Assert.Contains(backups, b => b.Compressed);
        Assert.All(backups, b => Assert.True(new FileInfo(b.Path).Length <= 1100 || b.Compressed));

        var lines = ReadAllSizeRotated().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.Equal(2000, lines[^1]);
        Assert.Equal(Enumerable.Range(lines[0], lines.Count), lines); // no gap, no duplicate, no torn line
        Assert.All(backups.Append((BasePath, 0, false)), b => Assert.EndsWith("\n", Read(b.Item1)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(backups[0].Path));
    }

    [Fact]
    public void SizeRotation_CountsWhatTheFileAlreadyHolds()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BasePath)!);
        File.WriteAllText(BasePath, new string('x', 990) + "\n");
        using var file = Create(RotationSettings.BySize(1000, 2, compress: false));
        file.Append("new line one\nnew line two\n"u8);
        Assert.Equal(new string('x', 990) + "\n", File.ReadAllText(BasePath + ".1"));
        Assert.Equal("new line one\nnew line two\n", File.ReadAllText(BasePath));
    }

    [Fact]
    public void SizeRotation_WithNoBackups_StartsTheFileOver()
    {
        using var file = Create(RotationSettings.BySize(10, 0, compress: false));
        file.Append("0123456789\n"u8);
        file.Append("abc\n"u8);
        Assert.Equal("abc\n", File.ReadAllText(BasePath));
        Assert.Empty(Numbered());
    }

    [Fact]
    public async Task TimeRotation_NamesTheRotatedFileAfterThePeriodItHolds()
    {
        using var file = Create(new RotationSettings(RotationMode.Time, 0, null, RotationFrequency.Hourly, null, Compress: true));
        file.Append("ten o'clock\n"u8);
        _time.Advance(TimeSpan.FromMinutes(1)); // 11:00
        file.Append("eleven\n"u8);
        _time.Advance(TimeSpan.FromMinutes(30));
        file.Append("still eleven\n"u8);
        await LogCompressor.Shared.DrainAsync();

        Assert.Equal("ten o'clock\n", Read(BasePath + ".2026-03-09_10.gz"));
        Assert.Equal("eleven\nstill eleven\n", File.ReadAllText(BasePath));
        Assert.Equal(1, RotatedCopies());
    }

    [Fact]
    public void TimeRotation_WithoutOutput_DoesNotRotate_AndAnOldFileKeepsItsPeriod()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BasePath)!);
        File.WriteAllText(BasePath, "from yesterday\n");
        File.SetLastWriteTimeUtc(BasePath, new DateTime(2026, 3, 8, 23, 0, 0, DateTimeKind.Utc));
        using var file = Create(new RotationSettings(RotationMode.Time, 0, null, RotationFrequency.Daily, null, Compress: false));
        file.EnsureCreated();
        Assert.Equal(0, RotatedCopies());
        file.Append("today\n"u8);
        Assert.Equal("from yesterday\n", File.ReadAllText(BasePath + ".2026-03-08"));
        Assert.Equal("today\n", File.ReadAllText(BasePath));
    }

    [Fact]
    public void TimeRotation_DeletesCopiesOlderThanTheMaxAge_AndBeyondTheBackups()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BasePath)!);
        var ancient = BasePath + ".2025-12-01.gz";
        File.WriteAllText(ancient, "");
        File.SetLastWriteTimeUtc(ancient, _time.GetUtcNow().UtcDateTime.AddDays(-40));
        var recent = BasePath + ".2026-03-05.gz";
        File.WriteAllText(recent, "");
        File.SetLastWriteTimeUtc(recent, _time.GetUtcNow().UtcDateTime.AddDays(-4));
        using var file = Create(new RotationSettings(RotationMode.Time, 0, 5, RotationFrequency.Daily, TimeSpan.FromDays(30), Compress: false));
        file.EnsureCreated();
        Assert.False(File.Exists(ancient));
        Assert.True(File.Exists(recent));
    }

    [Fact]
    public void SharedRegistry_GivesEveryWriterOfAPathTheSameFile()
    {
        var registry = new LogFileRegistry(_time, (app, message) => _reports.Add($"{app}: {message}"));
        var a = registry.Acquire("web", BasePath, RotationSettings.BySize(100, 1, false), TestOwners.Current);
        var b = registry.Acquire("web", BasePath, RotationSettings.BySize(100, 1, false), TestOwners.Current);
        Assert.Same(a, b);
        Assert.True(File.Exists(BasePath)); // created at acquisition
        registry.Release(a);
        registry.Release(b);
        Assert.NotSame(a, registry.Acquire("web", BasePath, RotationSettings.BySize(100, 1, false), TestOwners.Current));
    }

    [Fact]
    public void ANewRunOfAFileStillHeld_LooksThePathUpAfresh_AndRefusesAFifoSwappedIn()
    {
        var registry = new LogFileRegistry(_time, (app, message) => _reports.Add($"{app}: {message}"));
        var first = registry.Acquire("web", BasePath, RotationSettings.BySize(1000, 1, false), TestOwners.Current);
        first.Append("before\n"u8);
        var logs = Path.GetDirectoryName(BasePath)!;
        Directory.Move(logs, logs + ".old"); // what a service can do to its own directory between two runs
        Directory.CreateDirectory(logs);
        HostileFiles.Fifo(BasePath);

        var second = registry.Acquire("web", BasePath, RotationSettings.BySize(1000, 1, false), TestOwners.Current); // the last run still drains
        Assert.Same(first, second);
        second.Append("after\n"u8);
        Assert.Contains(_reports, r => r.StartsWith("web: log file refused: ", StringComparison.Ordinal) && r.Contains("is a FIFO", StringComparison.Ordinal));
        Assert.Equal("before\n", File.ReadAllText(Path.Combine(logs + ".old", Path.GetFileName(BasePath))));
        registry.Release(first);
        registry.Release(second);
    }

    [Fact]
    public void SymlinkInPlaceOfTheLogFile_IsRefusedAndReported()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BasePath)!);
        var target = Path.Combine(_dir.Path, "elsewhere");
        File.WriteAllText(target, "");
        File.CreateSymbolicLink(BasePath, target);
        using var file = Create(RotationSettings.BySize(1000, 1, false));
        file.Append("data\n"u8);
        Assert.Equal("", File.ReadAllText(target));
        Assert.Contains(_reports, r => r.Contains("is a symbolic link (refused"));
        Assert.Equal(5, file.DroppedBytes);
    }

    [Fact]
    public async Task AFifoInPlaceOfTheFile_NeverBlocksCapture_DropsAndCounts_AndCaptureResumesOnceItIsGone()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(BasePath)!);
        HostileFiles.Fifo(BasePath);
        using var file = Create(RotationSettings.BySize(1000, 1, compress: true));

        var append = Task.Run(() => file.Append("lost\n"u8));
        Assert.Same(append, await Task.WhenAny(append, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Contains(_reports, r => r.StartsWith("log file refused:", StringComparison.Ordinal) && r.Contains("is a FIFO"));
        Assert.Equal(5, file.DroppedBytes);

        File.Delete(BasePath);
        file.Append("too soon\n"u8); // within the retry interval: still dropped, not reported again
        Assert.Equal(14, file.DroppedBytes);
        Assert.Single(_reports);

        _time.Advance(LogFile.RetryInterval);
        file.Append("kept\n"u8);
        Assert.Equal("kept\n", File.ReadAllText(BasePath));
        Assert.Contains(_reports, r => r.StartsWith("log capture resumed", StringComparison.Ordinal) && r.Contains("dropped_bytes=14"));
    }

    [Fact]
    public void ALineWhoseEndWasDropped_IsNotGluedToTheFirstLineAfterCaptureResumes()
    {
        using var file = Create(RotationSettings.BySize(1000, 1, compress: false));
        file.Append("complete\nhalf a li"u8);
        var saved = BasePath + ".saved";
        File.Move(BasePath, saved);
        HostileFiles.Fifo(BasePath); // the file cannot be written for a while (a full disk behaves the same)
        file.Reopen();
        file.Append("ne that is lost\n"u8);
        Assert.Equal(16, file.DroppedBytes);

        File.Delete(BasePath);
        File.Move(saved, BasePath);
        _time.Advance(LogFile.RetryInterval);
        file.Append("next line\n"u8);
        file.Append("and the one after\n"u8);
        Assert.Equal("complete\nhalf a li\nnext line\nand the one after\n", File.ReadAllText(BasePath));
    }

    [Fact]
    public void ALogDirectoryReplacedByALink_IsNotWrittenThrough()
    {
        var service = Path.Combine(_dir.Path, "service");
        Directory.CreateDirectory(service);
        HostileFiles.WorldWritable(service);
        var rootOnly = _dir.Dir("root-only");
        File.CreateSymbolicLink(Path.Combine(service, "logs"), rootOnly);
        using var file = new LogFile(Path.Combine(service, "logs", "stdout.log"), RotationSettings.BySize(10, 2, compress: false), _time, _reports.Add, TestOwners.Current);

        file.Append("0123456789\nabc\n"u8);

        Assert.Empty(Directory.EnumerateFileSystemEntries(rootOnly));
        Assert.Contains(_reports, r => r.Contains("logs: is a symbolic link"));
    }

    [Fact]
    public void Rotation_ReplacesLinksPlantedUnderBackupNames_NeverTheirTargets()
    {
        var logs = Path.GetDirectoryName(BasePath)!;
        Directory.CreateDirectory(logs);
        HostileFiles.WorldWritable(logs);
        var secret = _dir.File("secret", "root's\n");
        File.CreateSymbolicLink(BasePath + ".1", secret);
        File.CreateSymbolicLink(BasePath + ".2", secret);
        using var file = Create(RotationSettings.BySize(10, 2, compress: false));

        file.Append("0123456789\n"u8);
        file.Append("second\n"u8);

        Assert.Equal("root's\n", File.ReadAllText(secret));
        Assert.Equal("0123456789\n", File.ReadAllText(BasePath + ".1"));
        Assert.Equal("second\n", File.ReadAllText(BasePath));
        Assert.False(File.Exists(BasePath + ".3"));
    }

    [Fact]
    public async Task TheCompressor_CarriesOnAfterAJobThatThrows()
    {
        var compressor = new LogCompressor();
        var reports = new List<string>();
        using var directory = SafeDirectory.Open(_dir.Path);
        _dir.File("a.log.1", "first\n");
        _dir.File("b.log.1", "second\n");

        compressor.TryEnqueue(directory.OpenForReading("a.log.1", TestOwners.Current), directory.Duplicate(),
            (_, _) => throw new NotSupportedException("a component that throws"), reports.Add);
        compressor.TryEnqueue(directory.OpenForReading("b.log.1", TestOwners.Current), directory.Duplicate(),
            (dir, temporary) => dir.Rename(temporary, "b.log.1.gz"), reports.Add);
        await compressor.DrainAsync();

        Assert.Contains(reports, r => r.Contains("a component that throws") && r.Contains("stays uncompressed"));
        Assert.Equal("second\n", Read(Path.Combine(_dir.Path, "b.log.1.gz")));
        Assert.DoesNotContain(Directory.EnumerateFiles(_dir.Path), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }
}

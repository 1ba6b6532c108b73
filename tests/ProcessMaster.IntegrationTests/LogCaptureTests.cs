using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using ProcessMaster.IntegrationTests.Support;

namespace ProcessMaster.IntegrationTests;

/// <summary>Output is captured byte for byte across rotations; rotated files are valid gzip and bounded in number.</summary>
public class LogCaptureTests
{
    /// <summary>supervisord's redirect_stderr: one pipe for both, so the file has the lines in the order they were written.</summary>
    [SystemTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task StderrToStdout_InterleavesBothStreamsInOneFile_InTheOrderWritten(bool merged)
    {
        await using var daemon = new TestDaemon();
        daemon.AddService("both", $$"""
            process:
              working_directory: {wd}
              start_command: ["/bin/sh", "-c", "for i in $(seq 200); do echo out$i; echo err$i >&2; done"]
            restart_policy:
              policy: never
            {{(merged ? "logs:\n  stderr: stdout" : "")}}
            """);
        await daemon.StartAsync();
        await daemon.WaitForStateAsync("both", "EXITED");

        var logs = Path.Combine(daemon.WorkDir("both"), "logs");
        var expected = Enumerable.Range(1, 200).SelectMany(i => new[] { $"out{i}", $"err{i}" });
        if (merged)
        {
            await Eventually.TrueAsync(() => File.ReadAllLines(Path.Combine(logs, "stdout.log")).Length == 400, TimeSpan.FromSeconds(10), "every line in stdout.log");
            Assert.Equal(expected, File.ReadAllLines(Path.Combine(logs, "stdout.log")));
            Assert.False(File.Exists(Path.Combine(logs, "stderr.log")));
        }
        else
        {
            await Eventually.TrueAsync(() => File.Exists(Path.Combine(logs, "stderr.log")) && File.ReadAllLines(Path.Combine(logs, "stderr.log")).Length == 200,
                TimeSpan.FromSeconds(10), "every line in stderr.log");
            Assert.Equal(expected.Where(l => l.StartsWith("err", StringComparison.Ordinal)), File.ReadAllLines(Path.Combine(logs, "stderr.log")));
        }
    }

    [SystemFact]
    public async Task FullSpeedOutput_AcrossManyRotations_LeavesAContiguousRunEndingAtTheLastLine()
    {
        const int lastLine = 6_500_000; // about 50 MB of numbered lines
        await using var daemon = new TestDaemon();
        daemon.AddService("flood", $$"""
            process:
              working_directory: {wd}
              start_command: ["/usr/bin/seq", "1", "{{lastLine}}"]
            logs:
              rotation_size: 1m
              rotation_backups: 5
            restart_policy:
              policy: never
            """);
        var logs = Path.Combine(daemon.WorkDir("flood"), "logs");
        await daemon.StartAsync();
        var maxBackups = 0;
        await Eventually.ValueAsync(async () =>
        {
            maxBackups = Math.Max(maxBackups, Backups(logs).Count);
            return await daemon.StatusAsync("flood");
        }, s => s.State == "EXITED", TimeSpan.FromSeconds(60), "the flood to finish");
        // Compressions may still be under way: read until one listing was read whole and unchanged.
        var (backups, text) = await Eventually.ValueAsync(() => Task.FromResult(ReadAll(logs)), r => r.Text is not null,
            TimeSpan.FromSeconds(60), "a consistent set of rotated files (compressions finished)");
        Assert.InRange(backups.Count, 1, 5);
        Assert.True(maxBackups <= 5, $"{maxBackups} backups existed at once");
        // Which backups end up compressed depends on the compressor keeping up: in a flood it leaves
        // files uncompressed rather than queue without bound (LogFileTests cover compression itself).
        // Whatever was compressed must read back whole, in order, below.
        var lines = text!.Split('\n');
        Assert.Equal("", lines[^1]);
        var numbers = lines[..^1].Select(int.Parse).ToArray();
        Assert.Equal(lastLine, numbers[^1]);
        for (var i = 1; i < numbers.Length; i++)
        {
            Assert.True(numbers[i] == numbers[i - 1] + 1, $"gap or duplicate after line {numbers[i - 1]}: next is {numbers[i]}");
        }

        Assert.True(numbers.Length > 5 * 100_000, $"only {numbers.Length} lines retained");
    }

    [SystemFact]
    public async Task FollowThroughPmctl_ContinuesAcrossRotation()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("chatty", "i=0; while :; do i=$((i+1)); echo line-$i-padding-padding-padding-padding; sleep 0.01; done",
            "logs:\n  rotation_size: 2k\n  rotation_backups: 3");
        await daemon.StartAsync();
        var info = new ProcessStartInfo(Dist.Pmctl) { RedirectStandardOutput = true };
        foreach (var arg in new[] { "-s", daemon.SocketPath, "logs", "chatty", "-f", "-n", "0" })
        {
            info.ArgumentList.Add(arg);
        }

        using var follow = Process.Start(info)!;
        try
        {
            var seen = new List<int>();
            var rotations = 0;
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (rotations < 2 && DateTime.UtcNow < deadline)
            {
                var line = await follow.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
                if (line!.Contains("was rotated"))
                {
                    rotations++;
                }
                else if (line.Contains(": line-"))
                {
                    seen.Add(int.Parse(line.Split("line-")[1].Split('-')[0]));
                }
            }

            Assert.True(rotations >= 2, "follow saw no rotation");
            // Every line written while following arrives, in order, across the rotations.
            Assert.Equal(Enumerable.Range(seen[0], seen.Count), seen);
        }
        finally
        {
            follow.Kill();
        }
    }

    [SystemFact]
    public async Task DaemonLog_IsWrittenUnderTheWorkingDirectory()
    {
        await using var daemon = new TestDaemon();
        daemon.AddShellService("a", "exec sleep 1000");
        await daemon.StartAsync();
        var log = File.ReadAllText(Path.Combine(daemon.Directory, "logs", "processmaster.log"));
        Assert.Contains("[boot] processmaster (built on", log);
        Assert.Contains("[state] app=a STARTING -> RUNNING", log);
    }

    private static List<string> Backups(string logs) =>
        Directory.EnumerateFiles(logs).Where(f => Path.GetFileName(f).StartsWith("stdout.log.") && !f.EndsWith(".tmp")).ToList();

    /// <summary>Every rotated file, oldest first, then the live one; null text when a compression changed the set meanwhile.</summary>
    private static (List<string> Backups, string? Text) ReadAll(string logs)
    {
        var backups = Backups(logs);
        if (Directory.EnumerateFiles(logs, ".compress-*.tmp").Any() || backups.Select(Number).Distinct().Count() != backups.Count)
        {
            return (backups, null); // a compression is writing, or has renamed its output but not yet removed its source
        }

        var text = new StringBuilder();
        try
        {
            foreach (var backup in backups.OrderByDescending(Number))
            {
                text.Append(Read(backup)); // a corrupt .gz throws here
            }
        }
        catch (FileNotFoundException)
        {
            return (backups, null);
        }

        text.Append(File.ReadAllText(Path.Combine(logs, "stdout.log")));
        return Backups(logs).SequenceEqual(backups) ? (backups, text.ToString()) : (backups, null);
    }

    private static int Number(string path) => int.Parse(Path.GetFileName(path).Split('.')[2]);

    private static string Read(string path)
    {
        if (!path.EndsWith(".gz"))
        {
            return File.ReadAllText(path);
        }

        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }
}

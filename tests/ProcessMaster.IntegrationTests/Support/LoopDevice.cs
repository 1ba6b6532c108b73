namespace ProcessMaster.IntegrationTests.Support;

/// <summary>
/// A real block device of the test's own (a loop device over a sparse file), so I/O limits can be
/// written and enforced without knowing this machine's disks. Detached when disposed; the backing
/// file carries the run's id so tests/cleanup-stale-cgroups.sh detaches what an interrupted run left.
/// </summary>
internal sealed class LoopDevice : IAsyncDisposable
{
    private LoopDevice(string path, string numbers)
    {
        Path = path;
        Numbers = numbers;
    }

    /// <summary>/dev/loopN.</summary>
    public string Path { get; }

    /// <summary>MAJ:MIN, as io.max and blkio name it.</summary>
    public string Numbers { get; }

    public static async Task<LoopDevice> CreateAsync(string directory, long bytes)
    {
        var file = System.IO.Path.Combine(directory, $"pmtest-{TestDaemon.RunId}-disk.img");
        await using (var stream = File.Create(file))
        {
            stream.SetLength(bytes);
        }

        var attach = await Run.ProgramAsync("losetup", ["--find", "--show", file]);
        Assert.True(attach.ExitCode == 0, $"losetup: {attach.Stderr}");
        var path = attach.Stdout.Trim();
        var numbers = File.ReadAllText($"/sys/class/block/{System.IO.Path.GetFileName(path)}/dev").Trim();
        return new LoopDevice(path, numbers);
    }

    public async ValueTask DisposeAsync() => await Run.ProgramAsync("losetup", ["-d", Path]);
}

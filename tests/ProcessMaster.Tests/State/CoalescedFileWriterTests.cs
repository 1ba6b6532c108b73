using System.Buffers;
using System.Text;
using ProcessMaster.Core.State;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.State;

public class CoalescedFileWriterTests
{
    private int _renders;
    private volatile string _content = "first";

    private CoalescedFileWriter Writer(string file, TimeSpan spacing) => new(file, output =>
    {
        Interlocked.Increment(ref _renders);
        output.Write(Encoding.UTF8.GetBytes(_content));
    }, durable: false, spacing: spacing);

    [Fact(Timeout = 30_000)]
    public async Task SavesDuringTheSpacing_WaitForIt_AndAFlushEndsTheWait()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state.json");
        var writer = Writer(file, TimeSpan.FromMinutes(10));
        await writer.SaveAsync(); // the first write is not spaced
        Assert.Equal("first", File.ReadAllText(file));

        _content = "second";
        var saves = Enumerable.Range(0, 50).Select(_ => writer.SaveAsync()).ToArray();
        await Task.Delay(200);
        Assert.All(saves, save => Assert.False(save.IsCompleted)); // ten minutes of spacing have not passed
        Assert.Equal("first", File.ReadAllText(file));

        await writer.FlushAsync();
        await Task.WhenAll(saves);
        Assert.Equal("second", File.ReadAllText(file));
        Assert.Equal(2, _renders); // fifty saves and a flush: one write
    }

    [Fact(Timeout = 30_000)]
    public async Task WithoutSpacing_EverySaveIsWrittenAtOnce()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state.json");
        var writer = Writer(file, TimeSpan.Zero);
        await writer.SaveAsync();
        _content = "second";
        await writer.SaveAsync();
        Assert.Equal("second", File.ReadAllText(file));
    }

    [Fact(Timeout = 30_000)]
    public async Task AfterItsBufferIsReleased_AWriteTakesANewOne_WithOnlyTheNewContent()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "state.json");
        var writer = Writer(file, TimeSpan.Zero);
        _content = new string('x', 100_000);
        await writer.SaveAsync();

        CoalescedFileWriter.ReleaseIdleBuffers();
        _content = "short";
        await writer.SaveAsync();
        Assert.Equal("short", File.ReadAllText(file));

        var saving = Enumerable.Range(0, 20).Select(_ => writer.SaveAsync()).ToList();
        CoalescedFileWriter.ReleaseIdleBuffers(); // while it may be writing: that buffer is left alone
        await Task.WhenAll(saving);
        Assert.Equal("short", File.ReadAllText(file));
    }
}

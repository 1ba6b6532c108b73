using System.Text;
using CsCheck;
using ProcessMaster.Core.Logs;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Logs;

public class LogTailReaderTests
{
    /// <summary>
    /// The tail is the last lines that begin within the byte budget from the end: files of lines long and
    /// short (across the reader's 64 KiB blocks), with and without a trailing newline, budgets small and large.
    /// </summary>
    [Fact]
    public void TheTail_IsTheLastLinesThatBeginWithinTheBudget()
    {
        using var dir = new TempDirectory();
        var line = Gen.OneOf(Gen.Int[0, 3], Gen.Int[0, 200], Gen.Int[60_000, 140_000]).Select(n => new string('x', n));
        Gen.Select(line.Array[0, 12], Gen.Bool, Gen.Int[0, 15], Gen.OneOf(Gen.Long[1, 300], Gen.Long[1, 400_000], Gen.Const(long.MaxValue / 2)))
            .Sample((lines, trailingNewline, count, budget) =>
            {
                var text = string.Join('\n', lines.Select((l, i) => $"{i}{l}")) + (trailingNewline && lines.Length > 0 ? "\n" : "");
                var path = Path.Combine(dir.Path, $"{Guid.NewGuid():N}.log"); // samples run in parallel
                File.WriteAllText(path, text);
                Assert.Equal(Expected(text, count, budget), LogTailReader.LastLines(path, count, TestOwners.Current, budget));
            }, iter: 300);
    }

    private static List<string> Expected(string text, int count, long budget)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var limit = Math.Max(0, bytes.Length - budget);
        var lines = new List<string>();
        for (var start = 0; start < bytes.Length;)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            var stop = end < 0 ? bytes.Length : end;
            if (start >= limit)
            {
                lines.Add(Encoding.UTF8.GetString(bytes, start, stop - start));
            }

            start = stop + 1;
        }

        return lines.Count > count ? lines.GetRange(lines.Count - count, count) : lines;
    }
}

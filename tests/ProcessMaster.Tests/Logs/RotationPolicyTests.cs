using System.Text;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Logs;

namespace ProcessMaster.Tests.Logs;

public class RotationPolicyTests
{
    [Theory]
    [InlineData(0, "aaa\nbbb\n", 100, false, -1)]        // fits
    [InlineData(95, "aaa\nbbb\n", 100, false, 4)]        // cut after the last line that fits
    [InlineData(98, "aaa\nbbb\n", 100, true, 0)]         // nothing fits and the file ends a line: rotate first
    [InlineData(98, "aaa\nbbb\n", 100, false, 4)]        // nothing fits mid-line: finish that line, then rotate
    [InlineData(100, "aaa\nbbb\n", 100, false, 4)]
    [InlineData(50, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 100, false, -1)] // no newline, not full yet
    [InlineData(120, "xxxx", 100, false, 0)]             // no newline and already full: rotate first
    [InlineData(0, "a", 0, true, -1)]                    // no limit
    public void SizeSplit_CutsAtLineEnds(long size, string data, long limit, bool atLineStart, int expected) =>
        Assert.Equal(expected, RotationPolicy.SizeSplit(size, Encoding.ASCII.GetBytes(data), limit, atLineStart));

    [Theory]
    [InlineData(RotationFrequency.Minutely, "2026-03-09_14-05")]
    [InlineData(RotationFrequency.Hourly, "2026-03-09_14")]
    [InlineData(RotationFrequency.Daily, "2026-03-09")]
    [InlineData(RotationFrequency.Weekly, "2026-W11")]
    [InlineData(RotationFrequency.Monthly, "2026-03")]
    public void PeriodName_NamesThePeriodATimeBelongsTo(RotationFrequency frequency, string expected) =>
        Assert.Equal(expected, RotationPolicy.PeriodName(new DateTimeOffset(2026, 3, 9, 14, 5, 30, TimeSpan.Zero), frequency));

    [Fact]
    public void PeriodName_UsesIsoWeeksAcrossTheYearEnd() =>
        Assert.Equal("2026-W53", RotationPolicy.PeriodName(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), RotationFrequency.Weekly));
}

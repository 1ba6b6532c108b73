using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Scheduling;

namespace ProcessMaster.Tests.Scheduling;

public class CronOccurrencesTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static ScheduleSettings Every(string cron, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string zone = "UTC") =>
        new(CronSchedule.Parse(cron, TimeZoneInfo.FindSystemTimeZoneById(zone)), notBefore, notAfter, null);

    [Fact]
    public void TheNextTick_IsTheFirstOccurrenceAfterNow() =>
        Assert.Equal(Noon.AddMinutes(10), CronOccurrences.Next(Every("*/10 * * * *"), Noon, null));

    [Fact]
    public void NotBefore_MovesTheFirstTick_ToTheFirstOccurrenceAtOrAfterIt()
    {
        Assert.Equal(Noon.AddMinutes(30), CronOccurrences.Next(Every("*/10 * * * *", notBefore: Noon.AddMinutes(25)), Noon, null));
        Assert.Equal(Noon.AddMinutes(30), CronOccurrences.Next(Every("*/10 * * * *", notBefore: Noon.AddMinutes(30)), Noon, null));
    }

    [Fact]
    public void NotAfter_EndsTheSchedule_ButKeepsATickExactlyOnIt()
    {
        Assert.Equal(Noon.AddMinutes(50), CronOccurrences.Next(Every("*/10 * * * *", notAfter: Noon.AddMinutes(50)), Noon.AddMinutes(40), null));
        Assert.Null(CronOccurrences.Next(Every("*/10 * * * *", notAfter: Noon.AddMinutes(55)), Noon.AddMinutes(50), null));
    }

    [Fact]
    public void ATickAlreadyFired_IsNotFiredAgain_WhenTheClockGoesBack() =>
        Assert.Equal(Noon.AddMinutes(20), CronOccurrences.Next(Every("*/10 * * * *"), Noon.AddMinutes(5), lastFired: Noon.AddMinutes(10)));

    [Fact]
    public void ATimeThatDaylightSavingSkips_RunsRightAfterTheGap_AndTheNextDayAtItsTime()
    {
        // Europe/Berlin skips 02:00-03:00 on 29 March 2026 (01:00 UTC).
        var schedule = Every("30 2 * * *", zone: "Europe/Berlin");
        var before = new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero);
        var first = CronOccurrences.Next(schedule, before, null);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), first);
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero), CronOccurrences.Next(schedule, first!.Value, first));
    }

    [Fact]
    public void ATimeThatDaylightSavingRepeats_RunsOnce()
    {
        // Europe/Berlin repeats 02:00-03:00 on 25 October 2026: 02:30 happens at 00:30 and 01:30 UTC.
        var schedule = Every("30 2 * * *", zone: "Europe/Berlin");
        var first = CronOccurrences.Next(schedule, new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero), null);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero), first);
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero), CronOccurrences.Next(schedule, first!.Value, first));
    }

    [Fact]
    public void Upcoming_ListsTheNextRunsWithinTheBounds()
    {
        Assert.Equal([Noon.AddMinutes(15), Noon.AddMinutes(30), Noon.AddMinutes(45), Noon.AddHours(1), Noon.AddMinutes(75)],
            CronOccurrences.Upcoming(Every("*/15 * * * *"), Noon, 5));
        Assert.Equal([Noon.AddMinutes(15), Noon.AddMinutes(30)], CronOccurrences.Upcoming(Every("*/15 * * * *", notAfter: Noon.AddMinutes(40)), Noon, 5));
        Assert.Equal([Noon.AddDays(1)], CronOccurrences.Upcoming(Every("0 12 * * *", notBefore: Noon.AddHours(1), notAfter: Noon.AddDays(1).AddHours(1)), Noon, 5));
    }
}

namespace ProcessMaster.Tests.Supervision.Fakes;

/// <summary>Waits for a supervisor (running on its own task) to reach a state; never a fixed sleep.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    public static async Task True(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(2);
        }
    }
}

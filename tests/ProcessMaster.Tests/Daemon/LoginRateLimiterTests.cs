using System.Net;
using Microsoft.Extensions.Time.Testing;
using ProcessMaster.Daemon.Http;

namespace ProcessMaster.Tests.Daemon;

public class LoginRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    private static IPAddress Address(int n) => new([10, (byte)(n >> 16), (byte)(n >> 8), (byte)n]);

    [Fact]
    public void AParallelBurst_IsCountedBeforeAnyCheckEnds_SoOnlyTheLimitGetsThrough()
    {
        var limiter = new LoginRateLimiter(_time);
        var source = Address(1);
        var admitted = Enumerable.Range(0, 16).Count(_ => limiter.TryBegin(source) is null); // 16 checks begun, none finished yet
        Assert.Equal(LoginRateLimiter.MaxFailures, admitted);
        Assert.NotNull(limiter.RetryAfter(source));
    }

    [Fact]
    public void ASuccessfulLogin_StartsTheSourcesCountOver()
    {
        var limiter = new LoginRateLimiter(_time);
        var source = Address(1);
        for (var i = 0; i < LoginRateLimiter.MaxFailures - 1; i++)
        {
            Assert.Null(limiter.TryBegin(source));
            limiter.Failed();
        }

        Assert.Null(limiter.TryBegin(source));
        limiter.Succeeded(source);
        Assert.Null(limiter.RetryAfter(source));
    }

    [Fact]
    public void ABlockedSource_WaitsOutTheWindow()
    {
        var limiter = new LoginRateLimiter(_time);
        var source = Address(1);
        for (var i = 0; i < LoginRateLimiter.MaxFailures; i++)
        {
            Assert.Null(limiter.TryBegin(source));
            limiter.Failed();
        }

        Assert.Equal(LoginRateLimiter.Window, limiter.TryBegin(source));
        _time.Advance(LoginRateLimiter.Window + TimeSpan.FromSeconds(1));
        Assert.Null(limiter.TryBegin(source));
    }

    [Fact]
    public void ManySources_ShareOneGlobalFailureBudget()
    {
        var limiter = new LoginRateLimiter(_time);
        for (var i = 0; i < LoginRateLimiter.MaxGlobalFailures; i++)
        {
            Assert.Null(limiter.TryBegin(Address(i)));
            limiter.Failed();
        }

        Assert.NotNull(limiter.TryBegin(Address(100_000)));
        _time.Advance(LoginRateLimiter.Window + TimeSpan.FromSeconds(1));
        Assert.Null(limiter.TryBegin(Address(100_000)));
    }

    [Fact]
    public void WhenTheTableIsFull_RoomIsMadeFromForgottenSources_NeverFromABlockedOne()
    {
        var limiter = new LoginRateLimiter(_time);
        // Fill the table as fast as the global budget lets many addresses fail once each.
        for (var i = 1; i <= LoginRateLimiter.MaxTrackedSources; i++)
        {
            if (limiter.TryBegin(Address(i)) is not null)
            {
                _time.Advance(LoginRateLimiter.Window + TimeSpan.FromSeconds(1));
                Assert.Null(limiter.TryBegin(Address(i)));
            }

            limiter.Failed();
        }

        _time.Advance(LoginRateLimiter.Window + TimeSpan.FromSeconds(1));
        var blocked = Address(0);
        for (var i = 0; i < LoginRateLimiter.MaxFailures; i++)
        {
            Assert.Null(limiter.TryBegin(blocked)); // the table is full: room is made
            limiter.Failed();
        }

        Assert.Null(limiter.TryBegin(Address(LoginRateLimiter.MaxTrackedSources + 1)));
        Assert.NotNull(limiter.RetryAfter(blocked));
    }
}

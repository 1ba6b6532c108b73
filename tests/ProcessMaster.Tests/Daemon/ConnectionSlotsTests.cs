using System.Net;
using ProcessMaster.Daemon.Http;

namespace ProcessMaster.Tests.Daemon;

/// <summary>Slow clients that never send a request cannot keep anyone out; streams never take a request's place (issue 41, item 3).</summary>
public class ConnectionSlotsTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    private static IPAddress Address(int n) => new([10, 0, (byte)(n >> 8), (byte)n]);

    [Fact]
    public void ASlowlorisFromTheSameAddress_GivesWayToEachNewConnection_OldestFirst()
    {
        var slots = new ConnectionSlots(capacity: 64, perSource: 32, streams: 32);
        var attack = Enumerable.Range(0, 200).Select(_ => slots.Admit(Loopback)).ToList();
        Assert.All(attack, Assert.NotNull);
        Assert.Equal(168, attack.Count(s => s!.Evicted.IsCancellationRequested));
        Assert.True(attack[167]!.Evicted.IsCancellationRequested && !attack[168]!.Evicted.IsCancellationRequested);
        Assert.Equal(32, slots.Held);

        var root = slots.Admit(Loopback)!;
        Assert.True(attack[168]!.Evicted.IsCancellationRequested);
        root.RequestRead(); // its request arrived: nobody can evict it now
        for (var i = 0; i < 100; i++)
        {
            slots.Admit(Loopback);
        }

        Assert.False(root.Evicted.IsCancellationRequested);
        Assert.Equal(32, slots.Held);
    }

    [Fact]
    public void ManyAddresses_FillTheTable_AndANewcomerEvictsTheOldestPendingOne()
    {
        var slots = new ConnectionSlots(capacity: 4, perSource: 2, streams: 1);
        var first = slots.Admit(Address(1))!;
        var answered = slots.Admit(Address(2))!;
        answered.RequestRead();
        var third = slots.Admit(Address(3))!;
        slots.Admit(Address(4));

        var newcomer = slots.Admit(Address(5));
        Assert.NotNull(newcomer);
        Assert.True(first.Evicted.IsCancellationRequested);
        Assert.False(answered.Evicted.IsCancellationRequested);
        Assert.False(third.Evicted.IsCancellationRequested);
        Assert.Equal(4, slots.Held);
    }

    [Fact]
    public void WhenEverySlotIsAnsweringARequest_ANewcomerIsShed_UntilOneEnds()
    {
        var slots = new ConnectionSlots(capacity: 2, perSource: 2, streams: 0);
        var a = slots.Admit(Address(1))!;
        var b = slots.Admit(Address(2))!;
        a.RequestRead();
        b.RequestRead();
        Assert.Null(slots.Admit(Address(3)));

        a.Dispose();
        a.Dispose(); // a connection ends once, however often it says so
        Assert.NotNull(slots.Admit(Address(3)));
        Assert.Equal(2, slots.Held);
    }

    [Fact]
    public void OneAddressAtItsLimit_WithEveryRequestBeingAnswered_IsShed_WhileOthersAreServed()
    {
        var slots = new ConnectionSlots(capacity: 8, perSource: 2, streams: 0);
        slots.Admit(Address(1))!.RequestRead();
        slots.Admit(Address(1))!.RequestRead();
        Assert.Null(slots.Admit(Address(1)));
        Assert.NotNull(slots.Admit(Address(2)));
    }

    [Fact]
    public void Streams_HaveTheirOwnSlots_AndFreeTheRequestsSlot()
    {
        var slots = new ConnectionSlots(capacity: 2, perSource: 2, streams: 2);
        var streams = Enumerable.Range(0, 3).Select(_ =>
        {
            var slot = slots.Admit(Loopback)!;
            slot.RequestRead();
            return (Slot: slot, Streaming: slot.TryStream());
        }).ToList();
        Assert.Equal([true, true, false], streams.Select(s => s.Streaming));
        Assert.Equal(1, slots.Held); // the refused one is answered as a request

        // Streams take nothing from requests: both request slots are there for the operator.
        streams[2].Slot.Dispose();
        Assert.NotNull(slots.Admit(Loopback));
        Assert.NotNull(slots.Admit(Loopback));
        streams[0].Slot.Dispose();
        var next = slots.Admit(Address(9));
        Assert.NotNull(next);
        next!.RequestRead();
        Assert.True(next.TryStream());
    }

    [Fact]
    public void APendingConnection_CannotBecomeAStream()
    {
        var slots = new ConnectionSlots(capacity: 2, perSource: 2, streams: 2);
        Assert.False(slots.Admit(Loopback)!.TryStream());
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::1", "::1")]
    public void Sources_AreAddresses_OrIPv6Slash64s(string address, string key) =>
        Assert.Equal(key, ConnectionSlots.SourceKey(IPAddress.Parse(address)));
}

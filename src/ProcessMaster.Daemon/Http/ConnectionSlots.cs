using System.Net;
using System.Net.Sockets;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// Who of <see cref="HttpServer"/>'s clients is served. A connection is <em>pending</em> until its whole
/// request (TLS handshake, head, body) is read, then a <em>request</em> until answered; a response that
/// becomes an event stream moves to a pool of its own. Anyone can connect and send nothing, so a pending
/// connection never keeps a newer one out: when its source (an address; an IPv6 /64) holds
/// <c>perSource</c> pending and answered requests, or everyone together holds <c>capacity</c>, the oldest
/// pending one (of that source first) is evicted for the newcomer, and only a table full of requests
/// being answered sheds it. Streams, which need a login and last as long as a page is open, have their
/// own <c>streams</c> and never take a request's place.
/// </summary>
internal sealed class ConnectionSlots(int capacity, int perSource, int streams)
{
    private readonly Lock _lock = new();

    /// <summary>Pending connections, oldest first.</summary>
    private readonly LinkedList<Slot> _pending = new();
    private readonly Dictionary<string, int> _bySource = new(StringComparer.Ordinal);
    private int _held;
    private int _streams;

    /// <summary>Pending and answered requests now (not streams).</summary>
    public int Held
    {
        get
        {
            lock (_lock)
            {
                return _held;
            }
        }
    }

    /// <summary>A slot for a new connection from <paramref name="source"/> (evicting a pending one if need be), or null: shed it.</summary>
    public Slot? Admit(IPAddress source)
    {
        var key = SourceKey(source);
        Slot? evicted = null;
        Slot admitted;
        lock (_lock)
        {
            if (_bySource.GetValueOrDefault(key) >= perSource)
            {
                evicted = OldestPending(key);
                if (evicted is null)
                {
                    return null;
                }
            }
            else if (_held >= capacity)
            {
                evicted = OldestPending(null);
                if (evicted is null)
                {
                    return null;
                }
            }

            if (evicted is not null)
            {
                Release(evicted);
            }

            admitted = new Slot(this, key);
            admitted.Node = _pending.AddLast(admitted);
            _bySource[key] = _bySource.GetValueOrDefault(key) + 1;
            _held++;
        }

        evicted?.Evict();
        return admitted;
    }

    private Slot? OldestPending(string? key)
    {
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            if (key is null || node.Value.Source == key)
            {
                return node.Value;
            }
        }

        return null;
    }

    /// <summary>Frees what <paramref name="slot"/> holds; under the lock, once.</summary>
    private void Release(Slot slot)
    {
        switch (slot.Phase)
        {
            case SlotPhase.Pending or SlotPhase.Request:
                if (slot.Node is { } node)
                {
                    _pending.Remove(node);
                    slot.Node = null;
                }

                _held--;
                if (--_bySource[slot.Source] == 0)
                {
                    _bySource.Remove(slot.Source);
                }

                break;
            case SlotPhase.Stream:
                _streams--;
                break;
            case SlotPhase.Released:
                return;
            default:
                throw new System.Diagnostics.UnreachableException($"slot phase {slot.Phase}");
        }

        slot.Phase = SlotPhase.Released;
    }

    private void RequestRead(Slot slot)
    {
        lock (_lock)
        {
            if (slot is { Phase: SlotPhase.Pending, Node: { } node })
            {
                _pending.Remove(node);
                slot.Node = null;
                slot.Phase = SlotPhase.Request;
            }
        }
    }

    private bool BecomeStream(Slot slot)
    {
        lock (_lock)
        {
            if (slot.Phase != SlotPhase.Request || _streams >= streams)
            {
                return false;
            }

            Release(slot);
            slot.Phase = SlotPhase.Stream;
            _streams++;
            return true;
        }
    }

    private void Free(Slot slot)
    {
        lock (_lock)
        {
            Release(slot);
        }
    }

    /// <summary>The address, or for IPv6 its /64: one host usually has a whole /64 to pick addresses from.</summary>
    internal static string SourceKey(IPAddress source)
    {
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        if (source.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(source))
        {
            return source.ToString();
        }

        var bytes = source.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    internal enum SlotPhase
    {
        Pending,
        Request,
        Stream,
        Released,
    }

    /// <summary>One admitted connection: <see cref="Evicted"/> fires if a newer one takes its place while it is pending.</summary>
    public sealed class Slot(ConnectionSlots owner, string source) : IDisposable
    {
        private readonly CancellationTokenSource _evicted = new();

        internal string Source => source;

        internal SlotPhase Phase { get; set; }

        internal LinkedListNode<Slot>? Node { get; set; }

        public CancellationToken Evicted => _evicted.Token;

        /// <summary>The whole request is read: from now on no newcomer can evict it.</summary>
        public void RequestRead() => owner.RequestRead(this);

        /// <summary>The response becomes a stream: true when the stream pool has room (the request's slot is freed).</summary>
        public bool TryStream() => owner.BecomeStream(this);

        internal void Evict() => _evicted.Cancel();

        // The token source is not disposed: an eviction may cancel it while its connection ends (it holds no timer).
        public void Dispose() => owner.Free(this);
    }
}

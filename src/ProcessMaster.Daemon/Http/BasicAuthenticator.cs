using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ProcessMaster.Daemon.Http;

/// <summary>
/// HTTP Basic authentication against htpasswd bcrypt entries (<c>$2a$</c>, <c>$2b$</c>, <c>$2y$</c>).
/// An unknown user is checked against a dummy hash, so timing does not tell which users exist. A
/// successful check is remembered for ten minutes (bcrypt costs tens of milliseconds per request
/// otherwise): the password itself, padded to a fixed size so that comparing it in constant time does not
/// tell its length either. No digest is kept instead because every digest .NET has on Linux is OpenSSL's,
/// 3.5 MB of libcrypto for a console without TLS; the password stays in memory that the request carrying
/// it was in anyway, readable by root only. Every bcrypt check is counted by the
/// <see cref="LoginRateLimiter"/> before it runs; a malformed header is refused without one.
/// </summary>
internal sealed class BasicAuthenticator
{
    /// <summary>What a login attempt came to: the user; or none, with how long to wait when it was not even tried, or whether a password was checked and wrong.</summary>
    public readonly record struct Outcome(string? User, TimeSpan? RetryAfter, bool WrongPassword = false);

    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    private const int MaxCacheEntries = 1024;
    private const int MaxCachedPasswordBytes = 512; // longer passwords are checked by bcrypt every time

    private readonly Dictionary<string, string> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Password, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);

    /// <summary>A hash of a random string at the cost `pmctl password generate` uses, checked for unknown users: it takes as long as a real one.</summary>
    internal const string DummyHash = "$2b$12$cEpITqzZuRWp8VenytY1EesQ4ZyT7YD5ILK56FubUcTw6kbzPDLw6";
    private readonly TimeProvider _time;
    private readonly LoginRateLimiter _limiter;

    public BasicAuthenticator(IEnumerable<string> entries, TimeProvider time, LoginRateLimiter limiter)
    {
        _time = time;
        _limiter = limiter;
        foreach (var entry in entries)
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            var hash = entry[(colon + 1)..];
            _users[entry[..colon]] = hash.StartsWith("$2y$", StringComparison.Ordinal) ? "$2b$" + hash[4..] : hash;
        }
    }

    /// <summary>Checks the Authorization <paramref name="header"/> of a request from <paramref name="source"/>.</summary>
    public Outcome Authenticate(string? header, System.Net.IPAddress source)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return default;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return default;
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return default;
        }

        var user = credentials[..colon];
        var password = credentials[(colon + 1)..];
        var padded = Padded(password);
        var now = _time.GetUtcNow();
        if (padded is not null && _cache.TryGetValue(user, out var cached) && cached.Expires > now && CryptographicOperations.FixedTimeEquals(cached.Password, padded))
        {
            return new Outcome(user, null);
        }

        if (_limiter.TryBegin(source) is { } wait)
        {
            return new Outcome(null, wait);
        }

        var known = _users.TryGetValue(user, out var hash);
        bool valid;
        try
        {
            valid = BCrypt.Net.BCrypt.Verify(password, known ? hash : DummyHash) && known;
        }
        catch (BCrypt.Net.SaltParseException)
        {
            valid = false;
        }

        if (!valid)
        {
            _limiter.Failed();
            return new Outcome(null, null, WrongPassword: true);
        }

        _limiter.Succeeded(source);
        if (padded is null)
        {
            return new Outcome(user, null);
        }

        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }

        _cache[user] = (padded, now + CacheLifetime);
        return new Outcome(user, null);
    }

    /// <summary>The password's length and bytes in a buffer of fixed size; null when it does not fit.</summary>
    private static byte[]? Padded(string password)
    {
        var padded = new byte[sizeof(int) + MaxCachedPasswordBytes];
        if (!Encoding.UTF8.TryGetBytes(password, padded.AsSpan(sizeof(int)), out var length))
        {
            return null;
        }

        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(padded, length);
        return padded;
    }
}

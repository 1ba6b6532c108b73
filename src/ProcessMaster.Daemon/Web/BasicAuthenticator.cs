using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// HTTP Basic authentication against htpasswd bcrypt entries (<c>$2a$</c>, <c>$2b$</c>, <c>$2y$</c>).
/// An unknown user is checked against a dummy hash, so timing does not tell which users exist. A
/// successful check is remembered for ten minutes under a keyed digest of the password (bcrypt costs
/// tens of milliseconds per request otherwise).
/// </summary>
internal sealed class BasicAuthenticator
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(10);
    private const int MaxCacheEntries = 1024;

    private readonly Dictionary<string, string> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (byte[] Digest, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly string _dummyHash = BCrypt.Net.BCrypt.HashPassword("processmaster-dummy", 10);
    private readonly TimeProvider _time;

    public BasicAuthenticator(IEnumerable<string> entries, TimeProvider time)
    {
        _time = time;
        foreach (var entry in entries)
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            var hash = entry[(colon + 1)..];
            _users[entry[..colon]] = hash.StartsWith("$2y$", StringComparison.Ordinal) ? "$2b$" + hash[4..] : hash;
        }
    }

    /// <summary>The authenticated user, or null. <paramref name="header"/> is the Authorization header.</summary>
    public string? Authenticate(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var user = credentials[..colon];
        var password = credentials[(colon + 1)..];
        var digest = HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(user + "\0" + password));
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(user, out var cached) && cached.Expires > now && CryptographicOperations.FixedTimeEquals(cached.Digest, digest))
        {
            return user;
        }

        var known = _users.TryGetValue(user, out var hash);
        bool valid;
        try
        {
            valid = BCrypt.Net.BCrypt.Verify(password, known ? hash : _dummyHash) && known;
        }
        catch (BCrypt.Net.SaltParseException)
        {
            valid = false;
        }

        if (!valid)
        {
            return null;
        }

        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }

        _cache[user] = (digest, now + CacheLifetime);
        return user;
    }
}

using System.Text;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// Environment values with indirections for secrets and blobs: <c>@file://PATH</c> (a regular file of at
/// most 64 KiB), <c>@base64://</c> (or <c>@b64://</c>) and <c>@hex://</c>. Anything else is literal.
/// Decoded at load so a bad value is reported before the service starts.
/// </summary>
public static class EnvironmentValue
{
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>Whether <paramref name="value"/> is an indirection (decoded) rather than literal text.</summary>
    public static bool IsIndirect(string value)
    {
        var probe = value.TrimStart();
        return probe.StartsWith("@file://", StringComparison.Ordinal) || probe.StartsWith("@base64://", StringComparison.Ordinal)
            || probe.StartsWith("@b64://", StringComparison.Ordinal) || probe.StartsWith("@hex://", StringComparison.Ordinal);
    }

    public static string Decode(string value, Func<string, byte[]> readFile)
    {
        var probe = value.TrimStart();
        byte[] bytes;
        if (probe.StartsWith("@file://", StringComparison.Ordinal))
        {
            bytes = readFile(probe["@file://".Length..].Trim());
        }
        else if (probe.StartsWith("@base64://", StringComparison.Ordinal) || probe.StartsWith("@b64://", StringComparison.Ordinal))
        {
            var payload = probe[(probe.IndexOf("://", StringComparison.Ordinal) + 3)..].Trim();
            try
            {
                bytes = Convert.FromBase64String(payload);
            }
            catch (FormatException)
            {
                throw new FormatException("@base64:// value is not valid base64");
            }
        }
        else if (probe.StartsWith("@hex://", StringComparison.Ordinal))
        {
            bytes = DecodeHex(probe["@hex://".Length..].Trim());
        }
        else
        {
            return value;
        }

        if (bytes.Contains((byte)0))
        {
            throw new FormatException("decoded value contains a NUL byte, which an environment variable cannot hold");
        }

        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException("decoded value is not valid UTF-8");
        }
    }

    /// <summary>Reads an <c>@file://</c> target: regular files only (no devices or fifos), at most 64 KiB.</summary>
    public static byte[] ReadFile(string path) => ReadFile(path, owner: null);

    /// <summary>
    /// Like <see cref="ReadFile(string)"/>, for a definition only <paramref name="owner"/> (besides root) can
    /// change: the root daemon reads on its behalf only files that user owns.
    /// </summary>
    public static byte[] ReadFile(string path, uint? owner)
    {
        // Opened non-blocking so a fifo cannot hang the loader; the type is checked on the open file.
        using var file = Interop.PosixFile.OpenForReading(path, out var error);
        if (file is null)
        {
            throw new FormatException($"@file://{path}: {error}");
        }

        if (!Interop.PosixFile.IsRegularFile(file))
        {
            throw new FormatException($"@file://{path}: not a regular file");
        }

        if (owner is { } uid && Files.SafeDirectory.StatFd((int)file.DangerousGetHandle())?.Uid != uid)
        {
            throw new FormatException($"@file://{path}: not owned by uid {uid}, who can change this definition (the daemon reads only that user's files for it)");
        }

        var buffer = new byte[MaxFileBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = RandomAccess.Read(file, buffer.AsSpan(total), total)) > 0)
        {
            total += read;
        }

        return total > MaxFileBytes
            ? throw new FormatException($"@file://{path}: larger than {MaxFileBytes} bytes")
            : buffer[..total];
    }

    private static byte[] DecodeHex(string text)
    {
        var s = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        var digits = s.Where(char.IsAsciiHexDigit).ToArray();
        if (digits.Length % 2 != 0)
        {
            throw new FormatException("@hex:// value has an odd number of hex digits");
        }

        return Convert.FromHexString(digits);
    }

    /// <summary>Checks a variable name: non-empty, no '=' and no NUL.</summary>
    public static void CheckName(string name)
    {
        if (name.Length == 0)
        {
            throw new FormatException("environment variable name is empty");
        }

        if (name.Contains('=') || name.Contains('\0'))
        {
            throw new FormatException($"environment variable name '{name}' must not contain '=' or NUL");
        }
    }
}

using System.Runtime.InteropServices;

namespace ProcessMaster.Core.Interop;

/// <summary>
/// Random bytes from the kernel (getrandom(2)) for tokens, keys and salts. .NET's RandomNumberGenerator
/// draws them from OpenSSL on Linux, and loading libcrypto costs the daemon about 3.5 MB that a console
/// without TLS never needs otherwise.
/// </summary>
public static partial class KernelRandom
{
    private const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static unsafe partial nint GetRandom(byte* buffer, nuint length, uint flags);

    /// <summary>Fills <paramref name="destination"/> (blocking only until the kernel's pool is first seeded, early in boot).</summary>
    public static unsafe void Fill(Span<byte> destination)
    {
        fixed (byte* start = destination)
        {
            var filled = 0;
            while (filled < destination.Length)
            {
                var got = GetRandom(start + filled, (nuint)(destination.Length - filled), 0);
                if (got < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"getrandom failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }

                filled += (int)got;
            }
        }
    }

    public static byte[] GetBytes(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }
}

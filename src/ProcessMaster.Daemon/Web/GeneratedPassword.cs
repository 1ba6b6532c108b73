using System.Text;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Daemon.Web;

/// <summary>
/// The console's login when <c>web_console.auth</c> is omitted. There is no fixed password: console users
/// can run admin actions, i.e. act as root, so a well-known one (the original's admin/admin) would hand
/// root to every local user. Instead a random password is made on first start and kept, readable by root
/// only (0600), in the state directory; the login is <c>admin</c> with it, on a loopback bind only
/// (<see cref="WebConsolePolicy"/>). An operator may write a password of their choice into the file.
/// </summary>
internal static class GeneratedPassword
{
    public const string FileName = "web-console.password";
    private const int FileMode = 0x180; // 0600

    /// <summary>The <c>user:bcrypt-hash</c> entry for the login, creating the password file when there is none.</summary>
    public static string LoadOrCreate(string stateDirectory, Action<string> report)
    {
        using var directory = SafeDirectory.Open(stateDirectory, create: true);
        var path = Path.Combine(stateDirectory, FileName);
        var password = Read(directory);
        if (password is null)
        {
            password = System.Buffers.Text.Base64Url.EncodeToString(KernelRandom.GetBytes(18));
            using var file = directory.CreateNew(FileName, FileMode);
            RandomAccess.Write(file, Encoding.UTF8.GetBytes(password + "\n"), 0);
            report($"web console login: user {WebConsoleSettings.GeneratedLoginUser}, password generated into {path} (readable by root only)");
        }
        else
        {
            report($"web console login: user {WebConsoleSettings.GeneratedLoginUser}, password in {path} (readable by root only)");
        }

        return $"{WebConsoleSettings.GeneratedLoginUser}:{BCrypt.Net.BCrypt.HashPassword(password, NewSalt())}";
    }

    /// <summary>
    /// A bcrypt salt (cost 10) from the kernel's random bytes: BCrypt.Net would draw its own from OpenSSL,
    /// loading libcrypto at every start for one hash. The encoding is base64 in bcrypt's alphabet, 22 characters.
    /// </summary>
    internal static string NewSalt()
    {
        const string Standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const string Bcrypt = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var encoded = Convert.ToBase64String(KernelRandom.GetBytes(16))[..22];
        return "$2b$10$" + string.Concat(encoded.Select(c => Bcrypt[Standard.IndexOf(c, StringComparison.Ordinal)]));
    }

    /// <summary>The kept password (its file made root-only again if it was not), or null when there is none yet.</summary>
    private static string? Read(SafeDirectory directory)
    {
        if (directory.Stat(FileName) is null)
        {
            return null;
        }

        using var file = directory.OpenForReading(FileName, FileOwners.RootOnly);
        Core.Interop.Libc.FChmod((int)file.DangerousGetHandle(), FileMode);
        var buffer = new byte[1024];
        var length = RandomAccess.Read(file, buffer, 0);
        var password = Encoding.UTF8.GetString(buffer, 0, length).Split('\n')[0].TrimEnd('\r');
        return password.Length > 0 ? password : throw new IOException($"{directory.Path}/{FileName} is empty; delete it to have a new password generated");
    }
}

using System.Net;
using System.Text;
using ProcessMaster.Daemon.Http;
using ProcessMaster.Daemon.Web;

namespace ProcessMaster.Tests.Daemon;

/// <summary>Console logins: bcrypt entries, the remembered successes, and the generated login's salt.</summary>
public class BasicAuthenticatorTests
{
    private static readonly string Hash = BCrypt.Net.BCrypt.HashPassword("secret", 4);

    private static string Header(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static BasicAuthenticator Authenticator(params string[] entries) =>
        new(entries, TimeProvider.System, new LoginRateLimiter(TimeProvider.System));

    [Fact]
    public void TheRightPassword_LogsIn_EveryTime_AndAWrongOneOfTheSameLengthDoesNot()
    {
        var authenticator = Authenticator($"ops:{Hash}");
        Assert.Equal("ops", authenticator.Authenticate(Header("ops", "secret"), IPAddress.Loopback).User);
        Assert.Equal("ops", authenticator.Authenticate(Header("ops", "secret"), IPAddress.Loopback).User); // remembered
        var wrong = authenticator.Authenticate(Header("ops", "secreT"), IPAddress.Loopback);
        Assert.Null(wrong.User);
        Assert.True(wrong.WrongPassword);
        Assert.Null(authenticator.Authenticate(Header("ops", "secret2"), IPAddress.Loopback).User);
    }

    [Fact]
    public void AnUnknownUser_IsCheckedAgainstTheDummyHash_AndRefused()
    {
        Assert.False(BCrypt.Net.BCrypt.Verify("secret", BasicAuthenticator.DummyHash)); // a real hash: it takes a real check's time
        var outcome = Authenticator($"ops:{Hash}").Authenticate(Header("root", "secret"), IPAddress.Loopback);
        Assert.Null(outcome.User);
        Assert.True(outcome.WrongPassword);
    }

    [Fact]
    public void APasswordTooLongToRemember_IsStillChecked()
    {
        var password = new string('p', 600);
        var authenticator = Authenticator($"ops:{BCrypt.Net.BCrypt.HashPassword(password, 4)}");
        Assert.Equal("ops", authenticator.Authenticate(Header("ops", password), IPAddress.Loopback).User);
        Assert.Equal("ops", authenticator.Authenticate(Header("ops", password), IPAddress.Loopback).User);
    }

    [Fact]
    public void TheGeneratedLoginsSalt_IsAValidBcryptSalt_AndNewEachTime()
    {
        var salt = GeneratedPassword.NewSalt();
        Assert.Matches("^\\$2b\\$10\\$[./A-Za-z0-9]{22}$", salt);
        Assert.NotEqual(salt, GeneratedPassword.NewSalt());
        Assert.True(BCrypt.Net.BCrypt.Verify("pw", BCrypt.Net.BCrypt.HashPassword("pw", salt)));
    }
}

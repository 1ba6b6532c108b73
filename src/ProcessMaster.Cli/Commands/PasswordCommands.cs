using System.CommandLine;
using System.Security.Cryptography;
using System.Text;

namespace ProcessMaster.Cli.Commands;

/// <summary>htpasswd-style bcrypt lines for <c>web_console.auth.basic.users</c>.</summary>
internal static class PasswordCommands
{
    public const int WorkFactor = 12;

    public static Command Create()
    {
        var command = new Command("password", "Make or check bcrypt \"user:hash\" lines for web_console.auth.basic.users");
        command.Subcommands.Add(Generate());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Option<string> UserOption() => new("--user") { Description = "User name", Required = true, HelpName = "NAME" };

    private static Option<string?> PasswordOption() => new("--password")
    {
        Description = "The password; without a value (or '-') it is read from stdin (not echoed on a terminal). Avoid passing it on the command line: other users can see it in ps.",
        Arity = ArgumentArity.ZeroOrOne,
        HelpName = "PASSWORD",
    };

    private static Command Generate()
    {
        var user = UserOption();
        var password = PasswordOption();
        var command = new Command("generate", "Print \"user:bcrypt-hash\" for the config") { user, password };
        command.SetAction(result =>
        {
            var name = result.GetValue(user)!;
            if (name.Length == 0 || name.Contains(':'))
            {
                Console.Error.WriteLine("pmctl: --user must be non-empty and must not contain ':'");
                return ExitCodes.Usage;
            }

            var secret = ReadPassword(result, password);
            if (secret.Length == 0)
            {
                Console.Error.WriteLine("pmctl: the password is empty");
                return ExitCodes.Usage;
            }

            Console.WriteLine($"{name}:{BCrypt.Net.BCrypt.HashPassword(secret, BCrypt.Net.BCrypt.GenerateSalt(WorkFactor, 'b'))}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Verify()
    {
        var entry = new Option<string>("--secure") { Description = "The \"user:hash\" line to check", Required = true, HelpName = "LINE" };
        var user = UserOption();
        var password = PasswordOption();
        var command = new Command("verify", "Check a password against a \"user:hash\" line; prints OK (exit 0) or FAIL (exit 1)") { entry, user, password };
        command.SetAction(result =>
        {
            var line = result.GetValue(entry)!;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                Console.Error.WriteLine("pmctl: --secure must be a \"user:hash\" line");
                return ExitCodes.Usage;
            }

            var secret = ReadPassword(result, password);
            var hash = line[(colon + 1)..];
            var hashOk = Check(secret, hash.StartsWith("$2y$", StringComparison.Ordinal) ? "$2b$" + hash[4..] : hash);
            var userOk = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(line[..colon]), Encoding.UTF8.GetBytes(result.GetValue(user)!));
            if (hashOk && userOk)
            {
                Console.WriteLine("OK");
                return ExitCodes.Success;
            }

            Console.Error.WriteLine("FAIL");
            return ExitCodes.Failed;
        });
        return command;
    }

    private static bool Check(string password, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }

    private static string ReadPassword(ParseResult result, Option<string?> option)
    {
        var given = result.GetValue(option);
        if (given is { Length: > 0 } && given != "-")
        {
            Console.Error.WriteLine("pmctl: warning: a password on the command line is visible to other users (ps); prefer stdin");
            return given;
        }

        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine() ?? "";
        }

        Console.Error.Write("Password: ");
        var secret = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                secret.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return secret.ToString();
    }
}

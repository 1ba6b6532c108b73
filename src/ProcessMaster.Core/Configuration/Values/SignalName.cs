namespace ProcessMaster.Core.Configuration.Values;

/// <summary>Signal names accepted for <c>stop_signal</c>, with or without <c>SIG</c>, any case.</summary>
public static class SignalName
{
    private static readonly (string Name, int Number)[] Table =
    [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ABRT", 6), ("KILL", 9), ("USR1", 10), ("USR2", 12),
        ("ALRM", 14), ("TERM", 15), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21),
        ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28),
        ("IO", 29), ("PWR", 30), ("SYS", 31),
    ];

    /// <summary>Linux's last real-time signal: a number up to it is a signal.</summary>
    private const int Last = 64;

    /// <summary>Returns the signal number of a name such as <c>SIGTERM</c> or <c>term</c>, or of a number (1 to 64).</summary>
    public static int Parse(string text)
    {
        if (int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var given))
        {
            return given is >= 1 and <= Last ? given : throw new FormatException($"signal {given} does not exist; signals are 1 to {Last}");
        }

        var name = text.Trim().ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
        {
            name = name[3..];
        }

        foreach (var (known, number) in Table)
        {
            if (known == name)
            {
                return number;
            }
        }

        throw new FormatException(
            $"unknown signal '{text}'; use one of {string.Join(", ", Table.Select(t => "SIG" + t.Name))}");
    }

    /// <summary>The conventional name of a signal number (<c>SIGTERM</c>), or <c>SIG&lt;n&gt;</c>.</summary>
    public static string Format(int number)
    {
        foreach (var (known, n) in Table)
        {
            if (n == number)
            {
                return "SIG" + known;
            }
        }

        return $"SIG{number}";
    }
}

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>Signal names accepted for <c>stop_signal</c>, with or without <c>SIG</c>, any case.</summary>
public static class SignalName
{
    private static readonly (string Name, int Number)[] Table =
    [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ABRT", 6), ("KILL", 9), ("USR1", 10), ("USR2", 12),
        ("ALRM", 14), ("TERM", 15), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("WINCH", 28),
        ("PWR", 30),
    ];

    /// <summary>Returns the signal number of a name such as <c>SIGTERM</c> or <c>term</c>.</summary>
    public static int Parse(string text)
    {
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

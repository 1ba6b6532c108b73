namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// Unix permission modes. <c>660</c>, <c>"660"</c>, <c>"0660"</c> and <c>0o660</c> all mean octal 660:
/// nobody writes modes in decimal, so the digits are always read as octal.
/// </summary>
public static class OctalMode
{
    private const int MaxMode = 0xFFF; // 0o7777: setuid, setgid, sticky and rwx for all

    public static int Parse(string text)
    {
        var s = text.Trim();
        if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
        {
            s = s[2..];
        }

        if (s.Length == 0 || s.Length > 5)
        {
            throw new FormatException($"'{text}' is not a file mode; use octal digits such as 0640");
        }

        var mode = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '7')
            {
                throw new FormatException($"'{text}' is not a file mode; only octal digits 0-7 are allowed");
            }

            mode = mode * 8 + (c - '0');
        }

        return mode <= MaxMode
            ? mode
            : throw new FormatException($"'{text}' is larger than 7777");
    }

    public static string Format(int mode) => "0" + Convert.ToString(mode, 8).PadLeft(3, '0');
}

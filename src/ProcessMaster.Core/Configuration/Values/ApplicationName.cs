namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// Service names: 1-64 characters of <c>[A-Za-z0-9._-]</c>, not starting with '.', and not the reserved
/// target word <c>all</c>. The name becomes a cgroup directory (<c>pm-&lt;name&gt;</c>), so it must be safe there.
/// </summary>
public static class ApplicationName
{
    public const int MaxLength = 64;
    public const string AllTarget = "all";

    /// <summary>Returns null when valid, else the reason it is not.</summary>
    public static string? Validate(string name)
    {
        if (name.Length is 0 or > MaxLength)
        {
            return $"application name must be 1-{MaxLength} characters long";
        }

        if (name[0] == '.')
        {
            return $"application name '{name}' must not start with '.'";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"application name '{name}' may only contain letters, digits, '.', '_' and '-'";
            }
        }

        return name.Equals(AllTarget, StringComparison.OrdinalIgnoreCase)
            ? $"application name '{name}' is reserved (it means every service)"
            : null;
    }
}

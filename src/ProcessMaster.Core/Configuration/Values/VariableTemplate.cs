using System.Text;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>A <c>${NAME}</c> (or <c>${NAME:-default}</c>) in a command word or an environment value.</summary>
/// <param name="Offset">Where the reference begins in its text (0-based).</param>
/// <param name="Default">What an unset or empty variable gives, for <c>${NAME:-default}</c>; null: no default.</param>
public readonly record struct VariableReference(string Name, string? Default, int Offset);

/// <summary>
/// <c>${NAME}</c> references in configured text, expanded from the service's environment when it starts.
/// Only the braced form is recognised (a bare <c>$NAME</c> stays as written, so a <c>sh -c</c> script keeps
/// its own variables); <c>$${</c> is a literal <c>${</c>; <c>${NAME:-default}</c> gives the default when
/// the variable is unset or empty. Nothing nests and nothing else is interpreted.
/// </summary>
public static class VariableTemplate
{
    /// <summary>The longest text an expansion may give: Linux's limit on one argument or environment string (MAX_ARG_STRLEN).</summary>
    public const int MaxExpandedLength = 128 * 1024;

    /// <summary>The references of <paramref name="text"/>, in order.</summary>
    /// <exception cref="FormatException">An unclosed <c>${</c> or a name that is not a variable name.</exception>
    public static List<VariableReference> References(string text)
    {
        return [.. Walk(text, null)];
    }

    /// <summary>
    /// <paramref name="text"/> with every reference replaced by what <paramref name="lookup"/> gives (or its
    /// default); <paramref name="missing"/> names the first variable that is neither set nor defaulted.
    /// </summary>
    /// <exception cref="FormatException">The result would be longer than <see cref="MaxExpandedLength"/>
    /// (values that repeat each other grow exponentially).</exception>
    public static string Expand(string text, Func<string, string?> lookup, out string? missing)
    {
        missing = null;
        if (!text.Contains('$'))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        foreach (var reference in Walk(text, result))
        {
            var value = lookup(reference.Name);
            if (string.IsNullOrEmpty(value) && reference.Default is { } fallback)
            {
                value = fallback;
            }

            if (value is null)
            {
                missing ??= reference.Name;
                continue;
            }

            if (result.Length + value.Length > MaxExpandedLength)
            {
                throw new FormatException($"longer than {MaxExpandedLength / 1024} KiB once expanded");
            }

            result.Append(value);
        }

        return result.ToString();
    }

    /// <summary>Text that expands to exactly <paramref name="literal"/> (a decoded secret is not a template).</summary>
    public static string Escape(string literal) => literal.Replace("${", "$${", StringComparison.Ordinal);

    /// <summary>
    /// Scans <paramref name="text"/>: literal parts go to <paramref name="literal"/> (when given), each
    /// reference is yielded at the point where its value belongs.
    /// </summary>
    private static IEnumerable<VariableReference> Walk(string text, StringBuilder? literal)
    {
        var i = 0;
        while (i < text.Length)
        {
            var dollar = text.IndexOf('$', i);
            if (dollar < 0 || dollar + 1 >= text.Length)
            {
                literal?.Append(text, i, text.Length - i);
                break;
            }

            literal?.Append(text, i, dollar - i);
            if (text[dollar + 1] == '$' && dollar + 2 < text.Length && text[dollar + 2] == '{')
            {
                literal?.Append("${");
                i = dollar + 3;
                continue;
            }

            if (text[dollar + 1] != '{')
            {
                literal?.Append('$');
                i = dollar + 1;
                continue;
            }

            var close = text.IndexOf('}', dollar + 2);
            if (close < 0)
            {
                throw new FormatException($"'${{' at character {dollar + 1} is not closed with '}}' (write $${{ for a literal ${{)");
            }

            var inner = text[(dollar + 2)..close];
            var split = inner.IndexOf(":-", StringComparison.Ordinal);
            var name = split < 0 ? inner : inner[..split];
            if (!IsName(name))
            {
                throw new FormatException($"'${{{inner}}}' at character {dollar + 1}: '{name}' is not a variable name (letters, digits and _, not starting with a digit)");
            }

            i = close + 1;
            yield return new VariableReference(name, split < 0 ? null : inner[(split + 2)..], dollar);
        }
    }

    private static bool IsName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

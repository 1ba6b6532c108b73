using System.Text;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// The dotenv format of <c>environment_file</c>: <c>KEY=VALUE</c> lines, an optional <c>export </c> before
/// the key, <c>#</c> comments (a whole line, or after a blank following an unquoted value), blank lines.
/// A value in single quotes is literal; in double quotes <c>\n \t \" \\ \$</c> are escapes; either may span
/// lines. Nothing is expanded: the file says what the service gets.
/// </summary>
public static class DotenvText
{
    /// <summary>The variables of <paramref name="text"/> in file order (a later line wins, as in a shell).</summary>
    /// <exception cref="FormatException">Names the line: a line that is not KEY=VALUE, a bad name, an unclosed quote.</exception>
    public static List<KeyValuePair<string, string>> Parse(string text)
    {
        var variables = new List<KeyValuePair<string, string>>();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var end = LineEnd(text, i);
            var content = text[i..end].Trim();
            if (content.Length == 0 || content[0] == '#')
            {
                Next(text, ref i, ref line, end);
                continue;
            }

            var startLine = line;
            if (content.StartsWith("export ", StringComparison.Ordinal) || content.StartsWith("export\t", StringComparison.Ordinal))
            {
                content = content[7..].TrimStart();
            }

            var equals = content.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"line {startLine}: expected KEY=VALUE");
            }

            var key = content[..equals].TrimEnd();
            try
            {
                EnvironmentValue.CheckName(key);
            }
            catch (FormatException e)
            {
                throw new FormatException($"line {startLine}: {e.Message}");
            }

            // The value starts after '=' in the original text, so a quoted value can run over lines.
            var valueStart = text.IndexOf('=', i) + 1;
            while (valueStart < end && text[valueStart] is ' ' or '\t')
            {
                valueStart++;
            }

            string value;
            if (valueStart < text.Length && text[valueStart] is '"' or '\'')
            {
                var quote = text[valueStart];
                var (parsed, close) = Quoted(text, valueStart, quote, startLine);
                value = parsed;
                line += Count(text, i, close, '\n');
                end = LineEnd(text, close);
                var rest = text[(close + 1)..end].Trim();
                if (rest.Length > 0 && rest[0] != '#')
                {
                    throw new FormatException($"line {line}: unexpected text after the closing quote");
                }
            }
            else
            {
                value = Unquoted(text[valueStart..end]);
            }

            if (value.Contains('\0'))
            {
                throw new FormatException($"line {startLine}: the value of {key} contains a NUL byte");
            }

            variables.Add(new(key, value));
            Next(text, ref i, ref line, end);
        }

        return variables;
    }

    private static int LineEnd(string text, int from)
    {
        var newline = text.IndexOf('\n', from);
        return newline < 0 ? text.Length : newline;
    }

    private static void Next(string text, ref int i, ref int line, int end)
    {
        i = end + 1;
        if (end < text.Length)
        {
            line++;
        }
    }

    private static int Count(string text, int from, int to, char c)
    {
        var n = 0;
        for (var k = from; k < to; k++)
        {
            if (text[k] == c)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>An unquoted value: trimmed, and a <c>#</c> after a blank starts a comment.</summary>
    private static string Unquoted(string raw)
    {
        for (var k = 0; k < raw.Length; k++)
        {
            if (raw[k] == '#' && (k == 0 || raw[k - 1] is ' ' or '\t'))
            {
                return raw[..k].Trim();
            }
        }

        return raw.Trim().TrimEnd('\r');
    }

    private static (string Value, int Close) Quoted(string text, int open, char quote, int line)
    {
        var value = new StringBuilder();
        for (var k = open + 1; k < text.Length; k++)
        {
            var c = text[k];
            if (c == quote)
            {
                return (value.ToString(), k);
            }

            if (quote == '"' && c == '\\' && k + 1 < text.Length)
            {
                var escaped = text[k + 1] switch
                {
                    'n' => "\n",
                    't' => "\t",
                    'r' => "\r",
                    '"' => "\"",
                    '\\' => "\\",
                    '$' => "$",
                    _ => null,
                };
                if (escaped is not null)
                {
                    value.Append(escaped);
                    k++;
                    continue;
                }
            }

            value.Append(c);
        }

        throw new FormatException($"line {line}: the {(quote == '"' ? "double" : "single")} quote is not closed");
    }
}

using System.Text;

namespace ProcessMaster.Core.Configuration.Values;

/// <summary>
/// Splits a command line into words as a POSIX shell does, without running one: blanks separate words,
/// single quotes keep everything literal, double quotes keep blanks and let a backslash escape
/// <c>" \ $ `</c>, and a backslash outside quotes escapes the next character. Nothing is expanded: no
/// globs, no <c>~</c>, no <c>$VAR</c>, no command substitution, so the words are exactly what is written.
/// </summary>
public static class ShellWords
{
    /// <exception cref="FormatException">An unterminated quote, a trailing backslash, or no word at all.</exception>
    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    continue;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"unterminated single quote at character {i + 1}");
                    }

                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    i = DoubleQuoted(text, i, word);
                    break;
                case '\\':
                    if (i + 1 == text.Length)
                    {
                        throw new FormatException("a backslash at the end escapes nothing");
                    }

                    i++;
                    if (text[i] == '\n')
                    {
                        continue; // backslash-newline joins lines, as in a shell
                    }

                    word.Append(text[i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }

            inWord = true;
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words.Count > 0 ? words : throw new FormatException("the command has no words");
    }

    /// <summary>Appends the double-quoted text starting at <paramref name="open"/>; returns the closing quote's index.</summary>
    private static int DoubleQuoted(string text, int open, StringBuilder word)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                return i;
            }

            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`' or '\n')
            {
                if (text[i + 1] != '\n')
                {
                    word.Append(text[i + 1]);
                }

                i++;
                continue;
            }

            word.Append(c);
        }

        throw new FormatException($"unterminated double quote at character {open + 1}");
    }
}

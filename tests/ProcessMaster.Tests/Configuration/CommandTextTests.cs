using ProcessMaster.Core.Configuration.Values;

namespace ProcessMaster.Tests.Configuration;

/// <summary>Command lines split into words, <c>${NAME}</c> templates, and dotenv files: the pure parts of a command's environment.</summary>
public class CommandTextTests
{
    [Theory]
    [InlineData("gunicorn -w 4 app:app", new[] { "gunicorn", "-w", "4", "app:app" })]
    [InlineData("  sh   -c  'echo $HOME; exit 1'  ", new[] { "sh", "-c", "echo $HOME; exit 1" })]
    [InlineData("node \"my server.js\" --name=\"a \\\"b\\\"\"", new[] { "node", "my server.js", "--name=a \"b\"" })]
    [InlineData("echo a\\ b c\\\\d", new[] { "echo", "a b", "c\\d" })]
    [InlineData("run '' \"\"", new[] { "run", "", "" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    [InlineData("echo \"\\n stays\" *.log ~", new[] { "echo", "\\n stays", "*.log", "~" })] // no escapes beyond the shell's, no globs, no ~
    [InlineData("run \\\n  --flag", new[] { "run", "--flag" })]
    public void ShellWords_SplitLikeAPosixShell_WithoutExpanding(string text, string[] expected) =>
        Assert.Equal(expected, ShellWords.Split(text));

    [Theory]
    [InlineData("echo 'open")]
    [InlineData("echo \"open")]
    [InlineData("echo \\")]
    [InlineData("   ")]
    public void ShellWords_RefuseWhatAShellWouldNotRun(string text) =>
        Assert.Throws<FormatException>(() => ShellWords.Split(text));

    private static readonly Dictionary<string, string> Env = new() { ["HOST"] = "db", ["PORT"] = "5432", ["EMPTY"] = "" };

    [Theory]
    [InlineData("postgres://${HOST}:${PORT}/app", "postgres://db:5432/app")]
    [InlineData("$HOST and $${HOST} and $$", "$HOST and ${HOST} and $$")]
    [InlineData("${EMPTY:-fallback} ${MISSING:-8080} ${HOST:-x}", "fallback 8080 db")]
    [InlineData("price: 5$", "price: 5$")]
    public void Templates_ExpandBracedNamesOnly(string text, string expected)
    {
        Assert.Equal(expected, VariableTemplate.Expand(text, Env.GetValueOrDefault, out var missing));
        Assert.Null(missing);
    }

    [Fact]
    public void Templates_NameTheFirstMissingVariable_AndEscapeToThemselves()
    {
        VariableTemplate.Expand("${HOST}-${NOPE}-${ALSO}", Env.GetValueOrDefault, out var missing);
        Assert.Equal("NOPE", missing);
        const string secret = "a${b}c$${d}";
        Assert.Equal(secret, VariableTemplate.Expand(VariableTemplate.Escape(secret), _ => "WRONG", out _));
        Assert.Equal([new VariableReference("A", null, 0), new VariableReference("B", "x y", 5)], VariableTemplate.References("${A} ${B:-x y}"));
    }

    [Fact]
    public void Templates_ThatRepeatEachOther_StopAtTheLengthOfOneArgument()
    {
        // Each doubles the one before: 2^40 characters unbounded.
        var values = new Dictionary<string, string> { ["A0"] = new('x', 1000) };
        var failure = Record.Exception(() =>
        {
            for (var i = 1; i <= 40; i++)
            {
                values[$"A{i}"] = VariableTemplate.Expand($"${{A{i - 1}}}${{A{i - 1}}}", values.GetValueOrDefault, out _);
            }
        });
        Assert.IsType<FormatException>(failure);
        Assert.All(values.Values, v => Assert.True(v.Length <= VariableTemplate.MaxExpandedLength));
    }

    [Theory]
    [InlineData("${HOST")]
    [InlineData("${}")]
    [InlineData("${1X}")]
    [InlineData("${A B}")]
    public void Templates_RefuseMalformedReferences(string text) =>
        Assert.Throws<FormatException>(() => VariableTemplate.References(text));

    [Fact]
    public void Dotenv_ReadsTheCommonForms()
    {
        var text = "# settings\n\nexport A=1\nB = two words  # comment\nC='single ${x} \\n'\nD=\"line\\nnext \\\"q\\\"\"\nE=a#b\nF=\"multi\nline\"\nG=\r\nA=again\n";
        Assert.Equal(
        [
            new("A", "1"), new("B", "two words"), new("C", "single ${x} \\n"), new("D", "line\nnext \"q\""),
            new("E", "a#b"), new("F", "multi\nline"), new("G", ""), new("A", "again"),
        ], DotenvText.Parse(text));
    }

    [Fact]
    public void ProcLimits_AreReadAsProcessLimitsNamesThem()
    {
        const string text = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max stack size            8388608              unlimited            bytes
            Max core file size        0                    unlimited            bytes
            Max processes             96367                96367                processes
            Max open files            1024                 1048576              files
            Max locked memory         8388608              8388608              bytes
            """;
        Assert.Equal(
        [
            new("open_files", "1024", "1048576"), new("processes", "96367", "96367"), new("core_size", "0", "unlimited"),
            new("locked_memory", "8388608", "8388608"), new("stack_size", "8388608", "unlimited"),
        ], Core.Processes.ProcLimits.Parse(text));
    }

    [Theory]
    [InlineData("A=1\njust words\n", "line 2")]
    [InlineData("A=1\n\n=x\n", "line 3")]
    [InlineData("A=\"open\nB=2\n", "line 1")]
    [InlineData("A='x' trailing\n", "line 1")]
    public void Dotenv_ErrorsNameTheLine(string text, string line) =>
        Assert.StartsWith(line + ":", Assert.Throws<FormatException>(() => DotenvText.Parse(text)).Message);
}

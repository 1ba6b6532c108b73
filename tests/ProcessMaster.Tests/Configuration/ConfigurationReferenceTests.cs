using System.Text.RegularExpressions;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Processes;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Configuration;

/// <summary>
/// docs/configuration.md documents exactly the keys the parsers know: the schema is what the binders ask
/// for while reading the full examples (which set every section), so a key added to a parser without a
/// row in the reference, or a row for a key that no longer exists, fails here.
/// </summary>
public partial class ConfigurationReferenceTests
{
    private static readonly string Reference = Path.Combine(RepositoryPaths.Root, "docs", "configuration.md");

    [Fact]
    public void MasterKeys_AreExactlyTheDocumentedOnes()
    {
        var schema = new HashSet<string>(StringComparer.Ordinal);
        var errors = new ConfigErrorCollector { KnownKeys = schema };
        var file = Path.Combine(RepositoryPaths.Examples, "config.full.yaml");
        MasterConfigParser.Parse(file, File.ReadAllText(file), SystemUserDatabase.Instance, errors);
        Assert.Empty(errors.Errors);
        AssertSameKeys(Normalize(schema), DocumentedKeys("## Master config"));
    }

    /// <summary>The full example, plus the dependency examples: between them every kind of probe.</summary>
    [Fact]
    public void ServiceKeys_AreExactlyTheDocumentedOnes()
    {
        var schema = new HashSet<string>(StringComparer.Ordinal);
        var errors = new ConfigErrorCollector { KnownKeys = schema };
        var files = Directory.GetFiles(Path.Combine(RepositoryPaths.Examples, "dependencies"), "*.yaml").Append(Path.Combine(RepositoryPaths.Examples, "service.full.yaml"));
        foreach (var file in files)
        {
            var context = new ServiceParseContext(file, Path.GetFileNameWithoutExtension(file), null, SystemUserDatabase.Instance, EnvironmentValue.ReadFile, TimeZoneInfo.Local);
            ServiceDefinitionParser.Parse(File.ReadAllText(file), context, errors);
        }

        Assert.Empty(errors.Errors);
        AssertSameKeys(Normalize(schema), DocumentedKeys("## Service definition"));
    }

    [Fact]
    public void EveryDocumentedKey_HasTypeDefaultAndExample()
    {
        var incomplete = ReferenceRows()
            .Where(row => row.Cells.Length < 5 || row.Cells[1..5].Any(string.IsNullOrWhiteSpace))
            .Select(row => row.Cells[0])
            .ToList();
        Assert.True(incomplete.Count == 0, $"rows without type, default, example or description: {string.Join(", ", incomplete)}");
    }

    private static void AssertSameKeys(SortedSet<string> schema, SortedSet<string> documented)
    {
        var undocumented = schema.Except(documented).ToList();
        var stale = documented.Except(schema).ToList();
        Assert.True(undocumented.Count == 0 && stale.Count == 0,
            $"keys the parser knows but docs/configuration.md does not: [{string.Join(", ", undocumented)}]; " +
            $"documented keys the parser does not know: [{string.Join(", ", stale)}]");
    }

    /// <summary>
    /// List positions become [], admin action ids &lt;id&gt;, dependency names &lt;service&gt;, what both probes
    /// have &lt;probe&gt; and the soft and hard of a limit &lt;limit&gt;, as the reference writes them.
    /// </summary>
    private static SortedSet<string> Normalize(IEnumerable<string> keys) =>
        new(keys.Select(k => LimitPair().Replace(Probe().Replace(DependencyName().Replace(AdminActionId().Replace(ListIndex().Replace(k, "[]"), "admin_actions.<id>"), "depends_on.<service>"), "<probe>."), "process.limits.<limit>.")),
            StringComparer.Ordinal);

    /// <summary>The keys of the table rows between <paramref name="heading"/> and the next level-2 heading.</summary>
    private static SortedSet<string> DocumentedKeys(string heading) =>
        new(ReferenceRows().Where(row => row.Section.StartsWith(heading, StringComparison.Ordinal)).Select(row => row.Cells[0]), StringComparer.Ordinal);

    private static IEnumerable<(string Section, string[] Cells)> ReferenceRows()
    {
        var section = "";
        foreach (var line in File.ReadLines(Reference))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line;
            }
            else if (KeyRow().Match(line) is { Success: true } row)
            {
                var cells = line.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray();
                cells[0] = row.Groups[1].Value;
                yield return (section, cells);
            }
        }
    }

    [GeneratedRegex(@"^\| `([a-z0-9_<>\[\].]+)` \|")]
    private static partial Regex KeyRow();

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex ListIndex();

    [GeneratedRegex(@"^admin_actions\.[^.]+")]
    private static partial Regex AdminActionId();

    [GeneratedRegex(@"^depends_on\.[^.\[]+")]
    private static partial Regex DependencyName();

    [GeneratedRegex(@"^(readiness|liveness)_probe\.")]
    private static partial Regex Probe();

    [GeneratedRegex(@"^process\.limits\.[a-z_]+\.(?=soft$|hard$)")]
    private static partial Regex LimitPair();
}

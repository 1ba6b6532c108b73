using System.Text.RegularExpressions;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>
/// The build identity of the binaries in dist/ (this test assembly is a different build), read from
/// <c>processmaster --version</c>, so raw-socket tests can speak as a co-built client.
/// </summary>
public static partial class DistIdentity
{
    private static readonly Lazy<BuildIdentity> Identity = new(Read);

    public static BuildIdentity Value => Identity.Value;

    private static BuildIdentity Read()
    {
        var version = Run.ProgramAsync(Dist.Daemon, ["--version"]).GetAwaiter().GetResult().Stdout;
        var match = VersionRegex().Match(version);
        Assert.True(match.Success, $"unexpected --version output: {version}");
        return new BuildIdentity($"{match.Groups[2].Value}T{match.Groups[3].Value}Z", match.Groups[1].Value, match.Groups[4].Value);
    }

    [GeneratedRegex(@"built on (.+) at (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC, build ([0-9a-f]+)\)")]
    private static partial Regex VersionRegex();
}

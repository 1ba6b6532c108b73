using System.Text.Json;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Protocol;

namespace ProcessMaster.Tests.Daemon;

public class ParameterCheckTests
{
    [Theory]
    [InlineData("""{"name":"web"}""", null)]
    [InlineData("""{"name":"web","force":true}""", null)]
    [InlineData("""{}""", "missing required parameter 'name'")]
    [InlineData("""{"name":"web","force":"yes"}""", "parameter 'force' must be true or false")]
    [InlineData("""{"name":5}""", "parameter 'name' must be a string")]
    [InlineData("""{"name":null}""", "parameter 'name' must be a string")]
    [InlineData("""{"name":"web","forse":true}""", "unknown parameter 'forse'")]
    public void TargetParams(string json, string? problem) =>
        Assert.Equal(problem, ParameterCheck.Problem(JsonDocument.Parse(json).RootElement, Methods.Start.Params));

    [Theory]
    [InlineData("""{"name":null,"n":3}""", null)]
    [InlineData("""{"n":"3"}""", "parameter 'n' must be a whole number")]
    [InlineData("""{"n":null}""", "parameter 'n' must be a whole number")]
    public void OptionalParams(string json, string? problem) =>
        Assert.Equal(problem, ParameterCheck.Problem(JsonDocument.Parse(json).RootElement, Methods.EventsFollow.Params));

    [Fact]
    public void SeveralMissing_AreNamedTogether() =>
        Assert.Equal("missing required parameters 'build_time', 'build_host', 'build_id'",
            ParameterCheck.Problem(JsonDocument.Parse("{}").RootElement, Methods.Hello.Params));
}

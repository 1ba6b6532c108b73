using System.Text.Json;
using ProcessMaster.IntegrationTests.Support;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests;

/// <summary>JSON-RPC 2.0 over the unix socket: conformance, the co-built handshake, and hostile input.</summary>
public sealed class ProtocolTests : IAsyncLifetime
{
    private readonly TestDaemon _daemon = new();

    public async Task InitializeAsync()
    {
        _daemon.AddShellService("web", "exec sleep 1000");
        await _daemon.StartAsync();
    }

    public async Task DisposeAsync() => await _daemon.DisposeAsync();

    private static int ErrorCode(JsonElement reply) => reply.GetProperty("error").GetProperty("code").GetInt32();

    private static string ErrorMessage(JsonElement reply) => reply.GetProperty("error").GetProperty("message").GetString()!;

    [SystemFact]
    public async Task ClientNotCoBuilt_IsRejectedWithBothIdentitiesAndTheFix()
    {
        using var raw = new RawSocket(_daemon.SocketPath);
        var reply = await raw.RequestAsync("""{"jsonrpc":"2.0","id":1,"method":"hello","params":{"build_time":"2020-01-01T00:00:00Z","build_host":"elsewhere","build_id":"0123"}}""");
        Assert.Equal(RpcErrorCodes.NotCoBuilt, ErrorCode(reply));
        var message = ErrorMessage(reply);
        Assert.StartsWith("pmctl is not co-built with this daemon", message);
        Assert.Contains($"daemon: {DistIdentity.Value}", message);
        Assert.Contains("client: build_time=2020-01-01T00:00:00Z build_host=elsewhere build_id=0123", message);
        Assert.Contains("Fix: use the pmctl binary from the same build", message);
        Assert.Equal("elsewhere", reply.GetProperty("error").GetProperty("data").GetProperty("client").GetProperty("build_host").GetString());

        // Nothing else works before a successful hello.
        var status = await raw.RequestAsync("""{"jsonrpc":"2.0","id":2,"method":"status"}""");
        Assert.Equal(RpcErrorCodes.HelloRequired, ErrorCode(status));
    }

    [SystemFact]
    public async Task AfterHello_ManyRequestsShareTheConnection_AndIdsAreEchoed()
    {
        using var raw = new RawSocket(_daemon.SocketPath);
        await raw.HelloAsync();
        for (var i = 0; i < 5; i++)
        {
            var reply = await raw.RequestAsync($$$"""{"jsonrpc":"2.0","id":"req-{{{i}}}","method":"status","params":{"name":"web"}}""");
            Assert.Equal($"req-{i}", reply.GetProperty("id").GetString());
            Assert.Equal("2.0", reply.GetProperty("jsonrpc").GetString());
            Assert.Equal("RUNNING", reply.GetProperty("result").GetProperty("services")[0].GetProperty("state").GetString());
        }
    }

    [SystemTheory]
    [InlineData("{not json", RpcErrorCodes.ParseError, "parse error")]
    [InlineData("\"a string\"", RpcErrorCodes.InvalidRequest, "expected a JSON object")]
    [InlineData("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"status\"}", RpcErrorCodes.InvalidRequest, "\"jsonrpc\" must be \"2.0\"")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1}", RpcErrorCodes.InvalidRequest, "\"method\" must be a string")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"status\"}", RpcErrorCodes.InvalidRequest, "id must be")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}", RpcErrorCodes.MethodNotFound, "unknown method 'nope'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"start\",\"params\":{\"name\":\"web\",\"force\":\"yes\"}}", RpcErrorCodes.InvalidParams, "parameter 'force' must be true or false")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"start\",\"params\":{}}", RpcErrorCodes.InvalidParams, "missing required parameter 'name'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":{\"nmae\":\"web\"}}", RpcErrorCodes.InvalidParams, "unknown parameter 'nmae'")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":[\"web\"]}", RpcErrorCodes.InvalidParams, "named parameters")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events\",\"params\":{\"n\":-5}}", RpcErrorCodes.InvalidParams, "'n' must be between")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"stop\",\"params\":{\"name\":\"ghost\"}}", RpcErrorCodes.NotFound, "unknown service: ghost")]
    [InlineData("[]", RpcErrorCodes.InvalidRequest, "empty batch")]
    public async Task BadRequests_GetTheRightError_AndTheConnectionKeepsWorking(string request, int code, string message)
    {
        using var raw = new RawSocket(_daemon.SocketPath);
        await raw.HelloAsync();
        var reply = await raw.RequestAsync(request);
        Assert.Equal(code, ErrorCode(reply));
        Assert.Contains(message, ErrorMessage(reply));
        var status = await raw.RequestAsync("""{"jsonrpc":"2.0","id":9,"method":"status"}""");
        Assert.True(status.TryGetProperty("result", out _));
    }

    [SystemFact]
    public async Task Notifications_GetNoReply_AndBatchesGetAnArray()
    {
        using var raw = new RawSocket(_daemon.SocketPath);
        await raw.HelloAsync();
        raw.Send("""{"jsonrpc":"2.0","method":"status"}""" + "\n");
        var batch = await raw.RequestAsync("""[{"jsonrpc":"2.0","id":1,"method":"server_version"},{"jsonrpc":"2.0","method":"status"},{"jsonrpc":"2.0","id":2,"method":"nope"}]""");
        Assert.Equal(JsonValueKind.Array, batch.ValueKind);
        Assert.Equal(2, batch.GetArrayLength());
        Assert.Equal(1, batch[0].GetProperty("id").GetInt32());
        Assert.Equal(RpcErrorCodes.MethodNotFound, ErrorCode(batch[1]));
    }

    [SystemFact]
    public async Task OversizedLine_IsRefused_WithoutDisturbingTheConnectionOrOthers()
    {
        using var raw = new RawSocket(_daemon.SocketPath);
        await raw.HelloAsync();
        var huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}}\n";
        raw.Send(huge);
        var reply = JsonDocument.Parse((await raw.ReadLineAsync())!).RootElement;
        Assert.Equal(RpcErrorCodes.InvalidRequest, ErrorCode(reply));
        Assert.Contains("exceeds 1048576 bytes", ErrorMessage(reply));
        var status = await raw.RequestAsync("""{"jsonrpc":"2.0","id":2,"method":"status"}""");
        Assert.True(status.TryGetProperty("result", out _));
    }

    [SystemFact]
    public async Task SilentAndVanishingClients_DoNotStopOthersFromBeingServed()
    {
        var silent = Enumerable.Range(0, 20).Select(_ => new RawSocket(_daemon.SocketPath)).ToList();
        using (var half = new RawSocket(_daemon.SocketPath))
        {
            half.Send("{\"jsonrpc\":\"2.0\",\"id\":1,\"meth"); // and vanish mid-request
        }

        using (var follower = new RawSocket(_daemon.SocketPath))
        {
            await follower.HelloAsync();
            follower.Send("""{"jsonrpc":"2.0","id":1,"method":"events.follow","params":{"n":5}}""" + "\n");
            await follower.ReadLineAsync();
        } // disconnects while subscribed

        await _daemon.PmctlOkAsync("restart", "web"); // produces events for the dead follower
        Assert.Contains("web", await _daemon.PmctlOkAsync("status"));
        silent.ForEach(s => s.Dispose());
        Assert.False(_daemon.HasExited);
    }

    [SystemFact]
    public async Task EventsFollow_PushesNewEventsAsNotifications()
    {
        await using var client = await _daemon.ConnectAsync();
        var received = new List<EventRecord>();
        client.Notified = (method, payload) =>
        {
            if (method == "events.event")
            {
                lock (received)
                {
                    received.Add(payload.Deserialize(ProtocolJsonContext.Default.EventRecord)!);
                }
            }
        };
        await client.CallAsync(Methods.EventsFollow, new EventsFollowParams("web"));
        await _daemon.PmctlOkAsync("restart", "web");
        await Eventually.TrueAsync(() =>
        {
            lock (received)
            {
                return received.Any(e => e.Kind == "state_changed" && e.Event!.Value.GetProperty("to").GetString() == "STOPPING");
            }
        }, TimeSpan.FromSeconds(5), "the restart's events to be pushed");
    }

    [SystemFact]
    public async Task EachOutcome_CarriesACode_BesideItsMessage()
    {
        await using var client = await _daemon.ConnectAsync();
        async Task<string?> CodeOf(RpcMethod<TargetParams, OperationResult> method, TargetParams target) =>
            Assert.Single((await client.CallAsync(method, target)).Results).Code;

        Assert.Equal("already_running", await CodeOf(Methods.Start, new TargetParams("web")));
        Assert.Equal("ok", await CodeOf(Methods.Stop, new TargetParams("web")));
        Assert.Equal("already_stopped", await CodeOf(Methods.Stop, new TargetParams("web")));
        Assert.Equal("ok", await CodeOf(Methods.Start, new TargetParams("web")));
        Assert.Equal("ok", await CodeOf(Methods.Restart, new TargetParams("web")));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.CallAsync(Methods.Start, new TargetParams("ghost")));
        Assert.Equal(RpcErrorCodes.NotFound, unknown.Code);
    }

    [SystemFact]
    public async Task StatusFollow_PushesTheStatusOnEveryChange()
    {
        await using var client = await _daemon.ConnectAsync();
        var states = new List<string>();
        client.Notified = (method, payload) =>
        {
            if (method == "status.changed")
            {
                lock (states)
                {
                    states.Add(payload.Deserialize(ProtocolJsonContext.Default.StatusResult)!.Services.Single(s => s.Name == "web").State);
                }
            }
        };
        var initial = await client.CallAsync(Methods.StatusFollow, new StatusFollowParams());
        Assert.Equal("RUNNING", initial.Services.Single(s => s.Name == "web").State);
        await _daemon.PmctlOkAsync("stop", "web");
        await Eventually.TrueAsync(() =>
        {
            lock (states)
            {
                return states.Contains("STOPPED");
            }
        }, TimeSpan.FromSeconds(10), "the stop pushed");
        await _daemon.PmctlOkAsync("start", "web");
    }
}

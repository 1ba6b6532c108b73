using System.Text;
using System.Text.Json;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Protocol;

namespace ProcessMaster.Tests.Daemon;

/// <summary>What one request can make the dispatcher do: never more than a bounded amount of work, never an exception.</summary>
public class RpcDispatcherTests
{
    private readonly List<string> _log = [];
    private readonly RpcDispatcher _dispatcher;

    public RpcDispatcherTests()
    {
        _dispatcher = new RpcDispatcher(_log.Add, () => { });
        // A method whose reply is as large as asked: n events of a kilobyte each.
        _dispatcher.Register(Methods.Events, (p, _) => Task.FromResult(new EventsResult(
            Enumerable.Range(0, p.N).Select(i => new EventRecord(DateTimeOffset.UnixEpoch, null, "test", new string('x', 1000))).ToList())));
    }

    private static RpcSession Session() => new(_ => ValueTask.CompletedTask, requiresHello: false, peer: "test", actor: () => "test");

    private async Task<JsonElement> CallAsync(string line)
    {
        var reply = await _dispatcher.HandleAsync(Encoding.UTF8.GetBytes(line), Session());
        Assert.NotNull(reply);
        Assert.True(reply.Length <= JsonRpc.MaxResponseBytes + 1);
        return JsonDocument.Parse(reply).RootElement.Clone();
    }

    private static string Events(int id, int n) => $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"events\",\"params\":{{\"n\":{n}}}}}";

    [Fact]
    public async Task ABatchOfMoreThanTheLimit_IsRefusedWhole()
    {
        var batch = "[" + string.Join(',', Enumerable.Range(0, JsonRpc.MaxBatchCalls + 1).Select(i => Events(i, 1))) + "]";
        var reply = await CallAsync(batch);
        Assert.Equal(RpcErrorCodes.InvalidRequest, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains($"at most {JsonRpc.MaxBatchCalls}", reply.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task AReplyOverTheCap_IsAnError_NotAHugeLine()
    {
        var reply = await CallAsync(Events(1, 10_000)); // 10 MB of events
        Assert.Equal(RpcErrorCodes.TooLarge, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, reply.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task TheRepliesOfABatch_ShareOneBudget()
    {
        var batch = "[" + string.Join(',', Enumerable.Range(0, 40).Select(i => Events(i, 1000))) + "]"; // 40 MB asked for
        var replies = (await CallAsync(batch)).EnumerateArray().ToList();
        Assert.Equal(40, replies.Count);
        var answered = replies.Count(r => r.TryGetProperty("result", out _));
        Assert.InRange(answered, 5, 8); // about 8 MiB of them
        Assert.All(replies.Skip(answered), r => Assert.Equal(RpcErrorCodes.TooLarge, r.GetProperty("error").GetProperty("code").GetInt32()));
    }

    [Theory]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\\udc00\"}")] // a lone surrogate
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\\ud800x\"}")]
    [InlineData("{\"jsonrpc\":\"2.\\udc10\"}")] // found by afl-fuzz: in the version
    [InlineData("{\"\\udc10\":1,\"jsonrpc\":\"2.0\",\"method\":\"status\"}")] // in a name the envelope is searched by
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":\"\\udc10\",\"method\":\"nope\"}")] // in the id that is echoed
    public async Task TextThatIsNotValidUnicode_GetsAnInvalidRequestError(string line)
    {
        var reply = await CallAsync(line);
        Assert.Equal(RpcErrorCodes.InvalidRequest, reply.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task InvalidUtf8BytesInTheMethod_GetAnInvalidRequestError()
    {
        var line = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"X\"}");
        line[^3] = 0xFF;
        var reply = JsonDocument.Parse((await _dispatcher.HandleAsync(line, Session()))!).RootElement;
        Assert.Equal(RpcErrorCodes.InvalidRequest, reply.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, reply.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task AnUnknownMethodWithControlCharacters_IsQuotedHarmlessly()
    {
        var reply = await CallAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\\nb\\u001b[31m" + new string('z', 500) + "\"}");
        var message = reply.GetProperty("error").GetProperty("message").GetString()!;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\u001b', message);
        Assert.True(message.Length < 120);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>
/// The one JSON-RPC 2.0 dispatcher behind the unix socket and the web console: validates the
/// envelope, enforces the co-built <c>hello</c>, binds params to the method's contract (naming the bad
/// parameter), calls the handler and writes the response. Never throws to its caller.
/// </summary>
internal sealed class RpcDispatcher
{
    private delegate Task<Action<Utf8JsonWriter>> Handler(JsonElement parameters, RpcSession session);

    private readonly Dictionary<string, Handler> _handlers = new(StringComparer.Ordinal);
    private readonly Action<string> _log;
    private readonly Action _served;

    /// <param name="served">Told of every request (the memory trimmer: give back what requests grew once things are quiet).</param>
    public RpcDispatcher(Action<string> log, Action served)
    {
        _log = log;
        _served = served;
        Counters = new RpcCounters(() => _handlers.Keys);
        Register(Methods.Hello, (p, session) => Task.FromResult(Hello(p, session)));
    }

    /// <summary>Requests and errors per method, for /metrics.</summary>
    public RpcCounters Counters { get; }

    public void Register<TParams, TResult>(RpcMethod<TParams, TResult> method, Func<TParams, RpcSession, Task<TResult>> handler) =>
        _handlers[method.Name] = async (raw, session) =>
        {
            var parameters = Bind(raw, method);
            var result = await handler(parameters, session);
            return writer => JsonSerializer.Serialize(writer, result, method.Result);
        };

    /// <summary>
    /// Handles one request line (an object or a batch of at most <see cref="JsonRpc.MaxBatchCalls"/>); returns the
    /// response line, or null when none is due. The replies of a batch share one budget of
    /// <see cref="JsonRpc.MaxResponseBytes"/>: a call whose reply would not fit gets an error instead.
    /// </summary>
    public async Task<byte[]?> HandleAsync(ReadOnlyMemory<byte> line, RpcSession session)
    {
        var reply = await HandleLineAsync(line, session);
        _served();
        return reply;
    }

    private async Task<byte[]?> HandleLineAsync(ReadOnlyMemory<byte> line, RpcSession session)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            return JsonRpc.Error(null, RpcErrorCodes.ParseError, $"parse error: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return await HandleOneAsync(root, session, JsonRpc.MaxResponseBytes);
            }

            var count = root.GetArrayLength();
            if (count == 0)
            {
                return JsonRpc.Error(null, RpcErrorCodes.InvalidRequest, "invalid request: empty batch");
            }

            if (count > JsonRpc.MaxBatchCalls)
            {
                return JsonRpc.Error(null, RpcErrorCodes.InvalidRequest, $"invalid request: a batch of {count} calls; at most {JsonRpc.MaxBatchCalls} are allowed");
            }

            var responses = new List<byte[]>();
            // Error replies (a call over the budget gets one) echo what the call said (its id, its method): room for
            // all of them is kept, so that the batch's replies together stay within the cap whatever it asked.
            var errorRoom = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(root).Length + count * ErrorReplyBytes;
            var budget = JsonRpc.MaxResponseBytes - 2 - errorRoom;
            foreach (var request in root.EnumerateArray())
            {
                if (await HandleOneAsync(request, session, budget) is { } response)
                {
                    responses.Add(response);
                    budget -= response.Length;
                }
            }

            return responses.Count == 0 ? null : JoinBatch(responses);
        }
    }

    /// <summary>The most an error reply adds to what its call echoes: the envelope, the code and the message.</summary>
    private const int ErrorReplyBytes = 512;

    private async Task<byte[]?> HandleOneAsync(JsonElement request, RpcSession session, int maxBytes)
    {
        try
        {
            return await HandleRequestAsync(request, session, maxBytes);
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json decodes names and strings lazily, and throws for a lone surrogate escape
            // ("\udc10") wherever one is compared or copied: in the envelope, not in a handler (those are caught).
            return NotUnicode(request);
        }
    }

    private async Task<byte[]?> HandleRequestAsync(JsonElement request, RpcSession session, int maxBytes)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return JsonRpc.Error(null, RpcErrorCodes.InvalidRequest, "invalid request: expected a JSON object");
        }

        JsonElement? id = request.TryGetProperty("id", out var rawId) ? rawId.Clone() : null;
        if (id is { ValueKind: not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null) })
        {
            return JsonRpc.Error(null, RpcErrorCodes.InvalidRequest, "invalid request: id must be a number, a string or null");
        }

        if (!request.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals(JsonRpc.Version))
        {
            return JsonRpc.Error(id, RpcErrorCodes.InvalidRequest, "invalid request: \"jsonrpc\" must be \"2.0\"");
        }

        if (!request.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
        {
            return JsonRpc.Error(id, RpcErrorCodes.InvalidRequest, "invalid request: \"method\" must be a string");
        }

        var method = methodElement.GetString()!;

        var parameters = request.TryGetProperty("params", out var p) ? p.Clone() : default;
        var isNotification = id is null;
        byte[] response;
        var failed = true;
        try
        {
            if (session.RequiresHello && !session.HelloDone && method != Methods.Hello.Name)
            {
                throw new RpcException(RpcErrorCodes.HelloRequired, "call hello with your build identity first (see docs/protocol.md)");
            }

            if (!_handlers.TryGetValue(method, out var handler))
            {
                throw new RpcException(RpcErrorCodes.MethodNotFound, $"unknown method '{Quote(method)}'");
            }

            var write = await handler(parameters, session);
            response = JsonRpc.Result(id ?? default, write, maxBytes);
            failed = false;
        }
        catch (RpcException e)
        {
            response = JsonRpc.Error(id, e.Code, e.Message, e.ErrorData is { } data ? data.WriteTo : null);
        }
        catch (ResponseTooLargeException e)
        {
            response = JsonRpc.Error(id, RpcErrorCodes.TooLarge, $"{method}: {e.Message}; ask for less (a smaller n, one service, fewer calls in the batch)");
        }
        catch (Exception e)
        {
            _log($"rpc method={Quote(method)} peer={session.Peer} failed: {e}");
            response = JsonRpc.Error(id, RpcErrorCodes.InternalError, $"internal error: {e.Message}");
        }

        Counters.Record(method, failed);
        return isNotification ? null : response;
    }

    /// <summary>The error for a request holding text that is not valid Unicode, echoing its id when that can be done.</summary>
    private static byte[] NotUnicode(JsonElement request)
    {
        const string message = "invalid request: it holds text that is not valid Unicode (a lone surrogate escape, or bytes that are not UTF-8)";
        try
        {
            if (request.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.Number or JsonValueKind.String)
            {
                return JsonRpc.Error(id, RpcErrorCodes.InvalidRequest, message);
            }
        }
        catch (InvalidOperationException)
        {
            // The id (or a name before it) is such text too.
        }

        return JsonRpc.Error(null, RpcErrorCodes.InvalidRequest, message);
    }

    /// <summary>A name from a request, shortened and stripped of control characters before it goes into a reply or a log.</summary>
    private static string Quote(string text)
    {
        var clean = new string([.. text.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 64 ? clean + "..." : clean;
    }

    private static TParams Bind<TParams, TResult>(JsonElement raw, RpcMethod<TParams, TResult> method)
    {
        if (raw.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            raw = EmptyObject;
        }

        if (raw.ValueKind != JsonValueKind.Object)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: params must be an object of named parameters");
        }

        if (ParameterCheck.Problem(raw, method.Params) is { } problem)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {problem}");
        }

        try
        {
            return raw.Deserialize(method.Params)
                   ?? throw new RpcException(RpcErrorCodes.InvalidParams, "invalid params: params must be an object");
        }
        catch (JsonException e)
        {
            // What the check above cannot see (a number out of range, a malformed nested value).
            var where = e.Path is { Length: > 2 } path ? $"parameter '{path.TrimStart('$', '.')}'" : "params";
            throw new RpcException(RpcErrorCodes.InvalidParams, $"invalid params: {where} has a value that does not fit");
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>One array of exactly the batch's size: a large batch is not copied through a growing buffer.</summary>
    private static byte[] JoinBatch(List<byte[]> responses)
    {
        var joined = new byte[responses.Sum(r => r.Length) + 2]; // each reply's newline becomes a comma or the ']'
        joined[0] = (byte)'[';
        var at = 1;
        foreach (var response in responses)
        {
            response.AsSpan(0, response.Length - 1).CopyTo(joined.AsSpan(at));
            at += response.Length - 1;
            joined[at++] = (byte)',';
        }

        joined[at - 1] = (byte)']';
        joined[at] = (byte)'\n';
        return joined;
    }

    private static HelloResult Hello(HelloParams parameters, RpcSession session)
    {
        var daemon = BuildIdentity.Current;
        var client = new BuildIdentity(parameters.BuildTime, parameters.BuildHost, parameters.BuildId);
        if (client != daemon)
        {
            var data = JsonSerializer.SerializeToElement(new CoBuildMismatch(daemon, client), ProtocolJsonContext.Default.CoBuildMismatch);
            throw new RpcException(RpcErrorCodes.NotCoBuilt,
                "pmctl is not co-built with this daemon.\n" +
                $"daemon: {daemon}\n" +
                $"client: {client}\n\n" +
                "Fix: use the pmctl binary from the same build as the running processmaster (./build.sh builds both into dist/).",
                data);
        }

        session.HelloDone = true;
        return new HelloResult(daemon, daemon.Describe());
    }
}

using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Protocol;

/// <summary>Writes JSON-RPC 2.0 messages, one per line.</summary>
public static class JsonRpc
{
    public const string Version = "2.0";

    /// <summary>Longest request line the daemon accepts.</summary>
    public const int MaxRequestBytes = 1024 * 1024;

    /// <summary>
    /// Longest response line the daemon writes (for a batch, all its replies together) and a client accepts:
    /// enough for the status of 10,000 services (about 700 bytes each), and a bound on what one request can
    /// make the daemon hold.
    /// </summary>
    public const int MaxResponseBytes = 8 * 1024 * 1024;

    /// <summary>Most calls in one batch request.</summary>
    public const int MaxBatchCalls = 100;

    public static byte[] Request<T>(string method, long id, T parameters, JsonTypeInfo<T> info) =>
        Write(w =>
        {
            w.WriteString("method", method);
            w.WriteNumber("id", id);
            w.WritePropertyName("params");
            JsonSerializer.Serialize(w, parameters, info);
        });

    public static byte[] Notification<T>(string method, T parameters, JsonTypeInfo<T> info) =>
        Write(w =>
        {
            w.WriteString("method", method);
            w.WritePropertyName("params");
            JsonSerializer.Serialize(w, parameters, info);
        });

    /// <summary>
    /// A result; <paramref name="id"/> is the request's raw id (number, string or null).
    /// </summary>
    /// <exception cref="ResponseTooLargeException">The message would exceed <paramref name="maxBytes"/> (writing stops there).</exception>
    public static byte[] Result(JsonElement id, Action<Utf8JsonWriter> writeResult, int maxBytes = MaxResponseBytes) =>
        Write(w =>
        {
            w.WritePropertyName("id");
            id.WriteTo(w);
            w.WritePropertyName("result");
            writeResult(w);
        }, maxBytes);

    public static byte[] Error(JsonElement? id, int code, string message, Action<Utf8JsonWriter>? writeData = null) =>
        Write(w =>
        {
            w.WritePropertyName("id");
            if (id is { } raw)
            {
                raw.WriteTo(w);
            }
            else
            {
                w.WriteNullValue();
            }

            w.WriteStartObject("error");
            w.WriteNumber("code", code);
            w.WriteString("message", message);
            if (writeData is not null)
            {
                w.WritePropertyName("data");
                writeData(w);
            }

            w.WriteEndObject();
        });

    // Messages go over a socket or to fetch(), never into HTML: no need to escape quotes and the like.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Write(Action<Utf8JsonWriter> body, int maxBytes = int.MaxValue)
    {
        var buffer = new BoundedBufferWriter(maxBytes);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", Version);
            body(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An <see cref="ArrayBufferWriter{T}"/> that refuses to grow past a limit, so an oversized reply is never built whole.</summary>
    private sealed class BoundedBufferWriter(int maxBytes) : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _inner = new(256);

        public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

        public void Advance(int count) => _inner.Advance(count);

        public Memory<byte> GetMemory(int sizeHint = 0) => Check(sizeHint)._inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Check(sizeHint)._inner.GetSpan(sizeHint);

        private BoundedBufferWriter Check(int sizeHint) =>
            (long)_inner.WrittenCount + Math.Max(sizeHint, 1) > maxBytes ? throw new ResponseTooLargeException(maxBytes) : this;
    }
}

/// <summary>A reply would be longer than the daemon sends; nothing of it was kept.</summary>
public sealed class ResponseTooLargeException(int maxBytes) : Exception($"the reply would be longer than {maxBytes} bytes");

/// <summary>A JSON-RPC error returned by the daemon.</summary>
public sealed class RpcException(int code, string message, JsonElement? data = null) : Exception(message)
{
    public int Code { get; } = code;

    public JsonElement? ErrorData { get; } = data;
}

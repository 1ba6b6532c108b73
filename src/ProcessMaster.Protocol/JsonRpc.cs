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

    /// <summary>Longest response line a client accepts.</summary>
    public const int MaxResponseBytes = 64 * 1024 * 1024;

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

    /// <summary>A result; <paramref name="id"/> is the request's raw id (number, string or null).</summary>
    public static byte[] Result(JsonElement id, Action<Utf8JsonWriter> writeResult) =>
        Write(w =>
        {
            w.WritePropertyName("id");
            id.WriteTo(w);
            w.WritePropertyName("result");
            writeResult(w);
        });

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

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
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
}

/// <summary>A JSON-RPC error returned by the daemon.</summary>
public sealed class RpcException(int code, string message, JsonElement? data = null) : Exception(message)
{
    public int Code { get; } = code;

    public JsonElement? ErrorData { get; } = data;
}

using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ProcessMaster.Core;

/// <summary>
/// JSON written into a buffer of its own. <see cref="JsonSerializer.SerializeToUtf8Bytes{TValue}(TValue, JsonTypeInfo{TValue})"/>
/// rents 16 KiB from the shared array pool, which then keeps one for good on every thread that ever wrote
/// an event or a definition's fingerprint (64 KB of an idle daemon's heap); these documents are small.
/// </summary>
internal static class UnpooledJson
{
    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> info)
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(output))
        {
            JsonSerializer.Serialize(writer, value, info);
        }

        return output.WrittenSpan.ToArray();
    }
}

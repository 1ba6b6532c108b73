using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>A bare unix-socket client that sends arbitrary bytes and reads reply lines.</summary>
public sealed class RawSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    public RawSocket(string path)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _stream = new NetworkStream(_socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public void Send(string text) => _stream.Write(Encoding.UTF8.GetBytes(text));

    public void Send(byte[] bytes) => _stream.Write(bytes);

    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _reader.ReadLineAsync(cancel.Token);
    }

    public async Task<JsonElement> RequestAsync(string line)
    {
        Send(line + "\n");
        var reply = await ReadLineAsync() ?? throw new IOException("connection closed");
        return JsonDocument.Parse(reply).RootElement.Clone();
    }

    /// <summary>Says hello with this build's identity.</summary>
    public async Task HelloAsync()
    {
        var id = DistIdentity.Value;
        var reply = await RequestAsync($$$"""{"jsonrpc":"2.0","id":0,"method":"hello","params":{"build_time":"{{{id.BuildTime}}}","build_host":"{{{id.BuildHost}}}","build_id":"{{{id.BuildId}}}"}}""");
        Assert.True(reply.TryGetProperty("result", out _), reply.ToString());
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
    }
}

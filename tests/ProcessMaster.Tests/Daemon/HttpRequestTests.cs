using System.Text;
using ProcessMaster.Daemon.Http;

namespace ProcessMaster.Tests.Daemon;

/// <summary>The request heads the console and the metrics listener take, and the ones they refuse.</summary>
public class HttpRequestTests
{
    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic b3BzOnM=\r\naccept: application/openmetrics-text", "GET", "/metrics", "", "Basic b3BzOnM=", "application/openmetrics-text")]
    [InlineData("HEAD /metrics?x=1 HTTP/1.0", "HEAD", "/metrics", "x=1", null, null)]
    public void RequestHead_IsParsed(string head, string method, string path, string query, string? authorization, string? accept)
    {
        var request = HttpRequest.Parse(head)!;
        Assert.Equal((method, path, query), (request.Method, request.Path, request.Query));
        Assert.Equal(authorization, request.Header("authorization"));
        Assert.Equal(accept, request.Header("Accept"));
    }

    [Theory]
    [InlineData("GET /metrics")]
    [InlineData("GET metrics HTTP/1.1")]
    [InlineData("GET /metrics SPDY/3")]
    [InlineData("get /metrics HTTP/1.1")]
    [InlineData("GET /metrics HTTP/1.1\r\nno colon here")]
    [InlineData("GET /metrics HTTP/1.1\r\nX-A: 1\r\n folded: continuation")]
    [InlineData("GET /metrics HTTP/1.1\r\nBad Name: 1")]
    [InlineData("GET /metrics HTTP/1.1\r\nX: a\u0000b")]
    [InlineData("")]
    public void MalformedRequestHead_IsRefused(string head) => Assert.Null(HttpRequest.Parse(head));

    [Theory]
    [InlineData("", 0L)]
    [InlineData("\r\nContent-Length: 12", 12L)]
    [InlineData("\r\nContent-Length: 12\r\ncontent-length: 12", 12L)]
    [InlineData("\r\nContent-Length: 12\r\nContent-Length: 13", null)]
    [InlineData("\r\nContent-Length: -1", null)]
    [InlineData("\r\nContent-Length: 1e3", null)]
    [InlineData("\r\nContent-Length: 99999999999999999999", null)]
    [InlineData("\r\nTransfer-Encoding: chunked", null)]
    [InlineData("\r\nContent-Length: 5\r\nTransfer-Encoding: chunked", null)]
    public void OnlyAPlainContentLength_FramesABody(string headers, long? length) =>
        Assert.Equal(length, HttpRequest.Parse("POST /processmaster/rpc HTTP/1.1" + headers)!.ContentLength());

    [Fact]
    public void CookiesAndQueryValues_AreFoundByName()
    {
        var request = HttpRequest.Parse("GET /processmaster/logs?name=web%20app&n=5&flag HTTP/1.1\r\nCookie: other=1; pm_csrf=abc=; x=y")!;
        Assert.Equal("abc=", request.Cookie("pm_csrf"));
        Assert.Null(request.Cookie("pm"));
        Assert.Equal("web app", request.QueryValue("name"));
        Assert.Equal("5", request.QueryValue("n"));
        Assert.Equal("", request.QueryValue("flag"));
        Assert.Null(request.QueryValue("missing"));
    }

    [Fact]
    public async Task TheBytesAfterTheHead_AreTheStartOfTheBody()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes("POST /rpc HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"));
        var (request, bodyStart) = (await HttpRequest.ReadHeadAsync(stream, 8192, CancellationToken.None))!.Value;
        Assert.Equal("/rpc", request.Path);
        Assert.Equal("body", Encoding.ASCII.GetString(bodyStart));
    }

    [Fact]
    public async Task AnOverlongHead_IsRefusedWithoutReadingOn()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: " + new string('a', 9000) + "\r\n\r\n"));
        Assert.Null(await HttpRequest.ReadHeadAsync(stream, 8192, CancellationToken.None));
        Assert.Equal(8192, stream.Position);
    }
}

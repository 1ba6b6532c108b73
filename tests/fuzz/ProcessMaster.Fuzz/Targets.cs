using System.Text;
using System.Text.Json;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Processes;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Daemon.Http;
using ProcessMaster.Protocol;

namespace ProcessMaster.Fuzz;

/// <summary>
/// What must hold for any input: the parsers report problems and never throw; the dispatcher answers with
/// valid JSON (or nothing, for a notification) and never throws. An exception escaping here is a crash to afl.
/// </summary>
internal static class Targets
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private static readonly RpcDispatcher Dispatcher = CreateDispatcher();

    public static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    public static void Yaml(byte[] input)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(input);
        }
        catch (DecoderFallbackException)
        {
            return; // the loader refuses such a file before parsing it
        }

        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext("/fuzz/config.d/web.yaml", "web", null, RootOnlyUsers.Instance,
            path => throw new FormatException($"@file://{path}: not in this test"), TimeZoneInfo.Utc);
        if (ServiceDefinitionParser.Parse(text, context, errors) is null && errors.Errors.Count == 0)
        {
            throw new InvalidOperationException("no definition and no error");
        }

        MasterConfigParser.Parse("/fuzz/config.yaml", text, RootOnlyUsers.Instance, new ConfigErrorCollector());
        try
        {
            EnabledFlagEditor.SetEnabled(text, enabled: true);
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or FormatException)
        {
            // `pmctl enable` reports these as "cannot edit FILE: ..."
        }
    }

    public static void Rpc(byte[] input)
    {
        foreach (var requiresHello in new[] { true, false })
        {
            using var session = new RpcSession(_ => ValueTask.CompletedTask, requiresHello, "fuzz", () => "fuzz");
            if (Dispatcher.HandleAsync(input, session).GetAwaiter().GetResult() is { } reply)
            {
                using var _ = JsonDocument.Parse(reply); // the reply is one valid JSON value
                if (reply.Length > JsonRpc.MaxResponseBytes + 1 || reply[^1] != (byte)'\n')
                {
                    throw new InvalidOperationException("reply over the cap or not a line");
                }
            }
        }
    }

    /// <summary>A request head (and what follows) as the console and the metrics listener read it: parsed or refused, never an exception.</summary>
    public static void Http(byte[] input)
    {
        using var stream = new MemoryStream(input);
        if (HttpRequest.ReadHeadAsync(stream, HttpServer.MaxHeadBytes, CancellationToken.None).GetAwaiter().GetResult() is not { } head)
        {
            return;
        }

        var request = head.Request;
        if (!request.Path.StartsWith('/') || request.ContentLength() < 0)
        {
            throw new InvalidOperationException("a target or length that should have been refused");
        }

        _ = request.Cookie("pm_csrf");
        _ = request.QueryValue("name");
        _ = request.Header("Authorization");
    }

    /// <summary>Every protocol method, answering with an empty result: what is fuzzed is the envelope and the binding of params.</summary>
    private static RpcDispatcher CreateDispatcher()
    {
        var dispatcher = new RpcDispatcher(_ => { }, () => { });
        Stub(Methods.Status);
        Stub(Methods.Events);
        Stub(Methods.Logs);
        Stub(Methods.LogsFollow);
        Stub(Methods.EventsFollow);
        Stub(Methods.Start);
        Stub(Methods.Stop);
        Stub(Methods.Restart);
        Stub(Methods.Enable);
        Stub(Methods.Disable);
        Stub(Methods.Update);
        Stub(Methods.ServerVersion);
        Stub(Methods.PerfMetrics);
        Stub(Methods.AdminList);
        Stub(Methods.AdminPs);
        Stub(Methods.AdminRun);
        Stub(Methods.AdminKill);
        return dispatcher;

        void Stub<TParams, TResult>(RpcMethod<TParams, TResult> method) =>
            dispatcher.Register(method, (_, _) => Task.FromResult(default(TResult)!));
    }

    private sealed class RootOnlyUsers : IUserDatabase
    {
        public static RootOnlyUsers Instance { get; } = new();

        public UserAccount? FindUser(string nameOrId) => nameOrId is "root" or "0" ? new UserAccount("root", 0, 0, "/root", "/bin/sh") : null;

        public GroupAccount? FindGroup(string nameOrId) => nameOrId is "root" or "0" ? new GroupAccount("root", 0) : null;

        public uint[] SupplementaryGroups(string userName, uint primaryGid) => [primaryGid];
    }
}

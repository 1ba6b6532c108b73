using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>The error a request gets for a parameter out of its bounds, naming the parameter.</summary>
internal static class RequestErrors
{
    public static RpcException InvalidParams(string message) => new(RpcErrorCodes.InvalidParams, $"invalid params: {message}");
}

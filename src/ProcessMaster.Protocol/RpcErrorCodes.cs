namespace ProcessMaster.Protocol;

/// <summary>JSON-RPC error codes: the standard ones, and processmaster's domain errors (-32000..-32099).</summary>
public static class RpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>The operation was attempted and failed (e.g. a stop that could not empty the cgroup).</summary>
    public const int OperationFailed = -32000;

    /// <summary>No service, admin action or log file by that name.</summary>
    public const int NotFound = -32001;

    /// <summary>The client was not built together with the daemon.</summary>
    public const int NotCoBuilt = -32002;

    /// <summary>The first call on a connection must be <c>hello</c>.</summary>
    public const int HelloRequired = -32003;

    /// <summary>The daemon is busy (too many followers or connections) or shutting down.</summary>
    public const int Unavailable = -32004;

    /// <summary>The reply (or a batch's replies together) would exceed <see cref="JsonRpc.MaxResponseBytes"/>; ask for less.</summary>
    public const int TooLarge = -32005;
}

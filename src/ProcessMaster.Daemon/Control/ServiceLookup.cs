using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary>The services a request names, or the error it gets when it names none that exists.</summary>
internal static class ServiceLookup
{
    public static ServiceSupervisor Find(this ServiceManager manager, string name) =>
        manager.Services.TryGetValue(name, out var service)
            ? service
            : throw new RpcException(RpcErrorCodes.NotFound, $"unknown service: {name}");

    /// <summary>The named service, or every service for none (or <c>all</c>).</summary>
    public static IReadOnlyList<ServiceSupervisor> Targets(this ServiceManager manager, string? name) =>
        name is null or ApplicationName.AllTarget ? [.. manager.Services.Values] : [manager.Find(name)];
}

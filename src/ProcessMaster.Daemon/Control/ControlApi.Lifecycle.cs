using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>start</c>, <c>stop</c>, <c>restart</c> of one service or <c>all</c>; replies once the effect is observed.</summary>
internal sealed partial class ControlApi
{
    private enum Lifecycle
    {
        Start,
        Stop,
        Restart,
    }

    private async Task<OperationResult> LifecycleAsync(TargetParams parameters, Lifecycle operation, string actor)
    {
        if (manager.ShuttingDown)
        {
            throw new RpcException(RpcErrorCodes.Unavailable, "the daemon is shutting down");
        }

        var all = parameters.Name == ApplicationName.AllTarget;
        var targets = Targets(parameters.Name);
        // "all" means the long-running services for start and restart; cron jobs run on their schedule.
        if (all && operation != Lifecycle.Stop)
        {
            targets = [.. targets.Where(s => !s.Snapshot.Definition.IsCron)];
        }

        events.Record(all ? null : parameters.Name, "operator",
            $"{operation.ToString().ToLowerInvariant()} {parameters.Name}{(parameters.Force ? " --force" : "")}{(parameters.NoDeps ? " --no-deps" : "")} by {actor}");
        var results = operation switch
        {
            Lifecycle.Start => await manager.StartAsync(targets, parameters.Force, skipDisabled: all, parameters.NoDeps),
            Lifecycle.Stop => await manager.StopAsync(targets, parameters.NoDeps),
            Lifecycle.Restart => await manager.RestartAsync(targets, parameters.Force, skipDisabled: all, parameters.NoDeps),
        };
        var outcomes = results.Select(r => new TargetOutcome(r.Name, r.Result.Ok, r.Result.Message)).ToList();
        return new OperationResult(outcomes.All(o => o.Ok), outcomes);
    }
}

using ProcessMaster.Core.Events;
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
        var targets = manager.Targets(parameters.Name);

        var options = string.Join(' ', new[] { parameters.Force ? "--force" : null, parameters.NoDeps ? "--no-deps" : null }.OfType<string>());
        events.Record(all ? null : parameters.Name, new OperatorAction(actor, operation.ToString().ToLowerInvariant(), parameters.Name, options.Length > 0 ? options : null));
        var results = operation switch
        {
            Lifecycle.Start => await manager.StartAsync(targets, parameters.Force, all, parameters.NoDeps, actor),
            Lifecycle.Stop => await manager.StopAsync(targets, parameters.NoDeps, actor),
            Lifecycle.Restart => await manager.RestartAsync(targets, parameters.Force, all, parameters.NoDeps, actor),
        };
        return Reply(results);
    }

    /// <summary><c>signal</c>: to every process of each service (or its main process); <c>all</c> means every service with processes now.</summary>
    private async Task<OperationResult> SignalAsync(SignalParams parameters, string actor)
    {
        if (manager.ShuttingDown)
        {
            throw new RpcException(RpcErrorCodes.Unavailable, "the daemon is shutting down");
        }

        int signal;
        try
        {
            signal = SignalName.Parse(parameters.Signal);
        }
        catch (FormatException e)
        {
            throw RequestErrors.InvalidParams($"parameter 'signal': {e.Message}");
        }

        if (parameters.Names.Count == 0)
        {
            throw RequestErrors.InvalidParams("parameter 'names' must name at least one service (or all)");
        }

        var targets = parameters.Names
            .SelectMany(name => name == ApplicationName.AllTarget
                ? manager.Services.Values.Where(s => s.Snapshot.State.IsActive())
                : manager.Targets(name))
            .DistinctBy(s => s.Name)
            .ToList();
        var options = $"{SignalName.Format(signal)}{(parameters.Main ? " --main" : "")}";
        foreach (var name in parameters.Names.Distinct())
        {
            events.Record(name == ApplicationName.AllTarget ? null : name, new OperatorAction(actor, "signal", name, options));
        }

        return Reply(await manager.SignalAsync(targets, signal, parameters.Main));
    }

    private static OperationResult Reply(IReadOnlyList<TargetResult> results)
    {
        var outcomes = results.Select(r => new TargetOutcome(r.Name, r.Result.Ok, r.Result.Message, r.Result.CodeName)).ToList();
        return new OperationResult(outcomes.All(o => o.Ok), outcomes);
    }
}

using ProcessMaster.Core.AdminActions;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>admin.list</c>, <c>admin.ps</c>, <c>admin.run</c>, <c>admin.kill</c>.</summary>
internal sealed class AdminApi(AdminActionRunner admin)
{
    public void Register(RpcDispatcher dispatcher)
    {
        dispatcher.Register(Methods.AdminList, (_, _) => Task.FromResult(new AdminListResult(
            admin.Actions.Select(a => new AdminAction(a.Id, a.Label, [.. a.Command])).ToList())));
        dispatcher.Register(Methods.AdminPs, (_, _) => Task.FromResult(new AdminPsResult(admin.RunningPids())));
        dispatcher.Register(Methods.AdminKill, (_, session) =>
        {
            var killed = admin.KillAll(session.Actor);
            return Task.FromResult(new AdminKillResult(killed, $"killed admin actions (pids_before={killed})"));
        });
        dispatcher.Register(Methods.AdminRun, async (p, session) =>
        {
            var action = admin.Find(p.Id)
                         ?? throw new RpcException(RpcErrorCodes.NotFound, $"admin action \"{p.Id}\" is not configured in the main config (admin_actions)");
            try
            {
                var pid = await admin.RunAsync(action, session.Actor);
                return new AdminRunResult(action.Id, pid, $"admin_action {action.Id} spawned pid={pid}");
            }
            catch (SpawnException e)
            {
                throw new RpcException(RpcErrorCodes.OperationFailed, e.Message);
            }
        });
    }
}

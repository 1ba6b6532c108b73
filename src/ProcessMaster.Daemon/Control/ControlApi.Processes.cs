using System.Globalization;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>processes</c>: every process in a service's cgroup, as <c>/proc</c> describes it (<c>pmctl ps</c>).</summary>
internal sealed partial class ControlApi
{
    private ProcessesResult Processes(string? name)
    {
        var boot = ProcessInfo.BootTime();
        var userNames = new Dictionary<uint, string>();
        string UserName(uint uid)
        {
            if (!userNames.TryGetValue(uid, out var user))
            {
                user = users.FindUser(uid.ToString(CultureInfo.InvariantCulture))?.Name ?? uid.ToString(CultureInfo.InvariantCulture);
                userNames[uid] = user;
            }

            return user;
        }

        var services = new List<ServiceProcesses>();
        foreach (var service in manager.Targets(name))
        {
            var snapshot = service.Snapshot;
            var pids = LivePids(service);
            var processes = new List<ProcessEntry>(pids.Count);
            foreach (var pid in pids)
            {
                if (ProcessInfo.Read(pid) is { } p)
                {
                    processes.Add(new ProcessEntry(p.Pid, p.Parent, UserName(p.Uid), (double)p.CpuTicks / ProcessInfo.TicksPerSecond,
                        p.RssPages * Environment.SystemPageSize, boot.AddSeconds((double)p.StartTicks / ProcessInfo.TicksPerSecond), p.Command));
                }
            }

            services.Add(new ServiceProcesses(snapshot.Name, snapshot.State.Name(), service.Cgroup.Group, snapshot.MainPid, processes));
        }

        return new ProcessesResult(services);
    }
}

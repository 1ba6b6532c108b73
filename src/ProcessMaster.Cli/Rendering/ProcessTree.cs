using System.Globalization;
using System.Text;
using ProcessMaster.Protocol;

namespace ProcessMaster.Cli.Rendering;

/// <summary>
/// <c>pmctl ps</c>: each service's processes as a tree by parent, like <c>systemd-cgls</c>, with user, CPU,
/// RSS and uptime. A process whose parent is outside the cgroup (the daemon, or a parent that died) is a root.
/// </summary>
internal static class ProcessTree
{
    public static string Render(ProcessesResult result, DateTimeOffset now)
    {
        var text = new StringBuilder();
        foreach (var service in result.Services)
        {
            text.Append(service.Name).Append("  ").Append(service.State);
            if (service.MainPid is { } main)
            {
                text.Append("  main pid ").Append(main.ToString(CultureInfo.InvariantCulture));
            }

            text.Append("  ").AppendLine(service.Cgroup);
            if (service.Processes.Count == 0)
            {
                text.AppendLine("  (no processes)");
                continue;
            }

            var rows = new List<string[]> { new[] { "PID", "USER", "CPU", "RSS", "UPTIME", "COMMAND" } };
            var byPid = service.Processes.ToDictionary(p => p.Pid);
            var children = service.Processes.Where(p => byPid.ContainsKey(p.Ppid) && p.Ppid != p.Pid).ToLookup(p => p.Ppid);
            void Add(ProcessEntry process, string indent, string branch)
            {
                rows.Add([
                    process.Pid.ToString(CultureInfo.InvariantCulture), process.User,
                    process.CpuSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",
                    Units.Bytes(process.RssBytes, compact: true),
                    Units.Uptime(Math.Max(0, (now - process.StartedAt).TotalSeconds)),
                    indent + branch + process.Command,
                ]);
                var kids = children[process.Pid].OrderBy(p => p.Pid).ToList();
                for (var i = 0; i < kids.Count; i++)
                {
                    var last = i == kids.Count - 1;
                    var deeper = branch.Length == 0 ? indent : indent + (branch == "└─ " ? "   " : "│  ");
                    Add(kids[i], deeper, last ? "└─ " : "├─ ");
                }
            }

            foreach (var root in service.Processes.Where(p => !byPid.ContainsKey(p.Ppid) || p.Ppid == p.Pid).OrderBy(p => p.Pid))
            {
                Add(root, "", "");
            }

            var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (var row in rows)
            {
                text.Append("  ").Append(row[0].PadLeft(widths[0]));
                for (var c = 1; c < 5; c++)
                {
                    text.Append("  ").Append(c is 2 or 3 ? row[c].PadLeft(widths[c]) : row[c].PadRight(widths[c]));
                }

                text.Append("  ").AppendLine(row[5]);
            }
        }

        return text.ToString();
    }
}

using System.Globalization;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Daemon.Reexec;

/// <summary>
/// The descriptors one daemon image hands the next across a re-exec (the control socket, the instance
/// lock, the web console's and the metrics' listening sockets, the sd_notify socket and the abstract one of an earlier
/// build), named in <c>PROCESSMASTER_INHERIT</c> as e.g. <c>control=5,lock=4,web=9,metrics=10,notify=7</c>. The next image takes them at start and removes the variable, so no
/// service or later image sees it.
/// </summary>
internal sealed record InheritedDescriptors(int? Control, int? Lock, int? Web, int? Notify, int? Metrics = null, int? NotifyLegacy = null)
{
    public const string Variable = "PROCESSMASTER_INHERIT";

    public static readonly InheritedDescriptors None = new(null, null, null, null);

    /// <summary>True when this image was started by a re-exec.</summary>
    public bool Any => Control is not null || Lock is not null || Web is not null || Notify is not null || Metrics is not null || NotifyLegacy is not null;

    /// <summary>Takes what the previous image handed over (close-on-exec again from now on).</summary>
    public static InheritedDescriptors Take()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        Environment.SetEnvironmentVariable(Variable, null);
        if (string.IsNullOrEmpty(text))
        {
            return None;
        }

        var named = text.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(item => item.Split('=', 2))
            .Where(pair => pair.Length == 2 && int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2)
            .ToDictionary(pair => pair[0], pair => int.Parse(pair[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        foreach (var fd in named.Values)
        {
            Linux.Fcntl(fd, Linux.F_SETFD, Linux.FD_CLOEXEC);
        }

        return new InheritedDescriptors(named.GetValueOrDefault("control") is > 0 and var c ? c : null,
            named.GetValueOrDefault("lock") is > 0 and var l ? l : null,
            named.GetValueOrDefault("web") is > 0 and var w ? w : null,
            named.GetValueOrDefault("notify") is > 0 and var n ? n : null,
            named.GetValueOrDefault("metrics") is > 0 and var m ? m : null,
            named.GetValueOrDefault("notify-legacy") is > 0 and var legacy ? legacy : null);
    }

    /// <summary>The variable's value; each descriptor is made inheritable (<paramref name="inheritable"/>) or close-on-exec again.</summary>
    public string Prepare(bool inheritable)
    {
        var parts = new List<string>();
        foreach (var (name, fd) in new[] { ("control", Control), ("lock", Lock), ("web", Web), ("notify", Notify), ("metrics", Metrics), ("notify-legacy", NotifyLegacy) })
        {
            if (fd is { } descriptor)
            {
                Linux.Fcntl(descriptor, Linux.F_SETFD, inheritable ? 0 : Linux.FD_CLOEXEC);
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={descriptor}"));
            }
        }

        return string.Join(',', parts);
    }
}

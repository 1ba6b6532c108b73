using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>flag</c>, <c>unflag</c>: an operator's labels on a service, with an optional time to live.</summary>
internal sealed class FlagApi(ServiceManager manager, OperatorFlags operatorFlags)
{
    private static readonly TimeSpan MaxFlagTtl = TimeSpan.FromDays(366);

    public void Register(RpcDispatcher dispatcher)
    {
        dispatcher.Register(Methods.Flag, async (p, session) =>
        {
            var (name, flags) = CheckFlags(p);
            TimeSpan? ttl = null;
            if (p.TtlSeconds is { } seconds)
            {
                if (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxFlagTtl.TotalSeconds)
                {
                    throw RequestErrors.InvalidParams($"ttl_seconds must be more than 0 and at most {MaxFlagTtl.TotalSeconds:0} (a year)");
                }

                ttl = TimeSpan.FromSeconds(seconds);
            }

            Task saved;
            try
            {
                saved = operatorFlags.SetAsync(name, flags, ttl, session.Actor);
            }
            catch (ArgumentException e)
            {
                throw new RpcException(RpcErrorCodes.OperationFailed, e.Message);
            }

            var done = $"{name}: flagged {string.Join(',', flags)}";
            await Saved(saved, done);
            return Flags(name, done);
        });
        dispatcher.Register(Methods.Unflag, async (p, session) =>
        {
            var (name, flags) = CheckFlags(p);
            var (saved, missing) = operatorFlags.Remove(name, flags, session.Actor);
            var done = missing.Count == flags.Count
                ? $"{name}: had none of {string.Join(',', flags)}"
                : $"{name}: unflagged {string.Join(',', flags.Except(missing))}{(missing.Count > 0 ? $" (had no {string.Join(',', missing)})" : "")}";
            await Saved(saved, done);
            return Flags(name, done);
        });
    }

    /// <summary>A change of flags that is in force but not on disk fails, saying both (a full or read-only state directory).</summary>
    private static async Task Saved(Task save, string done)
    {
        try
        {
            await save;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed,
                $"{done}, but it could not be saved ({e.Message}); it is in force until the daemon restarts, which forgets it");
        }
    }

    private (string Name, List<string> Flags) CheckFlags(FlagParams parameters)
    {
        var name = manager.Find(parameters.Name).Name;
        var flags = parameters.Flags.Select(f => f.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (flags.Count == 0)
        {
            throw RequestErrors.InvalidParams("flags: name at least one flag");
        }

        if (flags.Select(OperatorFlags.Invalid).FirstOrDefault(reason => reason is not null) is { } invalid)
        {
            throw RequestErrors.InvalidParams($"flags: {invalid}");
        }

        return (name, flags);
    }

    private FlagResult Flags(string name, string message) => new(message, Of(operatorFlags, name));

    /// <summary>The service's flags as the protocol shows them (status, flag, unflag).</summary>
    public static List<ServiceFlag> Of(OperatorFlags flags, string name) => [.. flags.Of(name).Select(f => new ServiceFlag(f.Name, f.ExpiresAt))];
}

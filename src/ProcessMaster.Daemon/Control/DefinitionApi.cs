using System.Text;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Logs;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>update</c>, <c>enable</c>, <c>disable</c>: change definitions and reconcile.</summary>
internal sealed class DefinitionApi(ServiceManager manager, EventLog events, DefinitionReloader reloader, IUserDatabase users)
{
    public void Register(RpcDispatcher dispatcher)
    {
        dispatcher.Register(Methods.Update, async (_, session) =>
        {
            events.Record(null, new OperatorAction(session.Actor, "update"));
            return ToResult(await reloader.ReloadAsync(), null);
        });
        dispatcher.Register(Methods.Enable, (p, session) => SetEnabledAsync(p.Name, true, session.Actor));
        dispatcher.Register(Methods.Disable, (p, session) => SetEnabledAsync(p.Name, false, session.Actor));
    }

    private async Task<UpdateResult> SetEnabledAsync(string name, bool enabled, string actor)
    {
        var definition = manager.Find(name).Snapshot.Definition;
        if (definition.SourceFile is not { } file)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed,
                $"service {name} has no definition file (it runs on built-in defaults); create service.yml in {definition.WorkingDirectory} first");
        }

        try
        {
            // The file may sit in its service's directory: read and replaced through it, keeping its owner and mode.
            using var directory = SafeDirectory.OpenParent(file, out var fileName);
            string text;
            Libc.Statx status;
            using (var handle = directory.OpenForReading(fileName, ServiceLogFiles.Owners(definition, users)))
            {
                status = SafeDirectory.StatFd((int)handle.DangerousGetHandle()) ?? throw new IOException("cannot stat");
                if ((long)status.Size > ServiceCatalogLoader.MaxFileBytes)
                {
                    throw new IOException($"larger than {ServiceCatalogLoader.MaxFileBytes} bytes");
                }

                var bytes = new byte[(int)status.Size];
                text = new UTF8Encoding(false, true).GetString(bytes, 0, RandomAccess.Read(handle, bytes, 0));
            }

            var edited = EnabledFlagEditor.SetEnabled(text, enabled);
            if (edited != text)
            {
                ServiceCatalogLoader.WriteAtomically(directory, fileName, edited, status.Mode & 0xFFF);
                directory.ChangeOwner(fileName, status.Uid, status.Gid);
            }
        }
        catch (UnsafeFileException e)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"cannot edit {file}: {e.Message}; edit global.enabled by hand");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or DecoderFallbackException or YamlDotNet.Core.YamlException)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"cannot edit {file}: {e.Message}");
        }

        events.Record(name, new OperatorAction(actor, enabled ? "enable" : "disable", Effect: $"set global.enabled={(enabled ? "true" : "false")} in {file}"));
        return ToResult(await reloader.ReloadAsync(), $"{(enabled ? "enabled" : "disabled")} {name}");
    }

    private static UpdateResult ToResult(ReloadOutcome outcome, string? headline)
    {
        if (outcome.SkippedBecause is { } reason)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"update skipped: {reason} (running services are untouched)");
        }

        var message = headline ?? (outcome.Errors.Count, outcome.Warnings.Count) switch
        {
            (0, 0) => "updated",
            (0, var warnings) => $"updated (warnings: {warnings})",
            (var errors, var warnings) => $"updated, with errors: {errors} (warnings: {warnings}); what failed keeps what it ran before",
        };
        return new UpdateResult(message, outcome.Added, outcome.Removed, outcome.Restarted, outcome.Stopped, outcome.Warnings, outcome.Errors);
    }
}

using System.Text;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Control;

/// <summary><c>update</c>, <c>enable</c>, <c>disable</c>: change definitions and reconcile.</summary>
internal sealed partial class ControlApi
{
    private void RegisterDefinitionMethods(RpcDispatcher dispatcher)
    {
        dispatcher.Register(Methods.Update, async (_, _) => ToResult(await runtime.ReloadAsync(), null));
        dispatcher.Register(Methods.Enable, (p, _) => SetEnabledAsync(p.Name, true));
        dispatcher.Register(Methods.Disable, (p, _) => SetEnabledAsync(p.Name, false));
    }

    private async Task<UpdateResult> SetEnabledAsync(string name, bool enabled)
    {
        var definition = Find(name).Snapshot.Definition;
        if (definition.SourceFile is not { } file)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed,
                $"service {name} has no definition file (it runs on built-in defaults); create service.yml in {definition.WorkingDirectory} first");
        }

        if (new FileInfo(file).LinkTarget is not null)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"{file} is a symbolic link; edit global.enabled in the file it points to");
        }

        try
        {
            var text = File.ReadAllText(file, Encoding.UTF8);
            var edited = EnabledFlagEditor.SetEnabled(text, enabled);
            if (edited != text)
            {
                var mode = File.GetUnixFileMode(file);
                ServiceCatalogLoader.WriteAtomically(file, edited);
                File.SetUnixFileMode(file, mode);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or YamlDotNet.Core.YamlException)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"cannot edit {file}: {e.Message}");
        }

        events.Record(name, "operator", $"{(enabled ? "enable" : "disable")}: set global.enabled={(enabled ? "true" : "false")} in {file}");
        return ToResult(await runtime.ReloadAsync(), $"{(enabled ? "enabled" : "disabled")} {name}");
    }

    private static UpdateResult ToResult(ReloadOutcome outcome, string? headline)
    {
        if (outcome.SkippedBecause is { } reason)
        {
            throw new RpcException(RpcErrorCodes.OperationFailed, $"update skipped: {reason} (running services are untouched)");
        }

        var message = headline ?? (outcome.Warnings.Count == 0 ? "updated" : $"updated (warnings: {outcome.Warnings.Count})");
        return new UpdateResult(message, outcome.Added, outcome.Removed, outcome.Restarted, outcome.Warnings);
    }
}

using System.Runtime.InteropServices;
using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;
using ProcessMaster.Core.State;
using ProcessMaster.Core.Supervision;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Daemon.Control;
using ProcessMaster.Protocol;

namespace ProcessMaster.Daemon.Reexec;

/// <summary>
/// Replaces the running daemon image with the binary now at its path on disk (an upgrade), in place: the
/// same pid, so every service stays its child; the control socket, the instance lock and the web
/// console's socket are inherited; the output pipes come back from the pipe holder; the supervision
/// state is the saved file. Nothing is signalled. Order: have the new binary check that it can start on
/// the config and resume from the state file (<c>--check-state</c>); stop accepting (clients wait in the
/// backlog) and let open requests finish; hold every supervisor still and save the final state; hold
/// the event loops; exec. If any step fails, everything resumes and the old image carries on, saying why.
/// </summary>
internal sealed class DaemonReexec(
    string executable,
    string configPath,
    string stateFile,
    Task booted,
    RpcServer server,
    ServiceManager manager,
    SupervisionRecords records,
    EventLoop loop,
    EventLoop logLoop,
    ChildReaper reaper,
    EventLog events,
    HandOver handOver)
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>This image's generation (the next one is one more).</summary>
    public int Generation => records.Generation;

    /// <summary>
    /// Asks the binary on disk whether it could take over now (what a caller hears before the swap); null
    /// when it could, else why not.
    /// </summary>
    public async Task<string?> CheckAsync()
    {
        try
        {
            await records.FlushAsync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The new image adopts from this file: without it, it would restart every service.
            return $"the supervision state cannot be saved ({e.Message}); a new image would not know what runs, so this one carries on";
        }

        return await DryRunAsync();
    }

    /// <summary>Re-executes; returns only when it did not happen, with why (also recorded as an event).</summary>
    public async Task<string> RunAsync(string trigger)
    {
        await booted; // a swap asked for during boot waits for it: only then is every service supervised
        if (!await _one.WaitAsync(0))
        {
            return "a re-exec is already under way";
        }

        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reason = "";
        try
        {
            events.Record(null, new ReexecBegun(trigger, executable, Generation));
            // The dry run reads the state as saved now, before anything waits: the final save differs
            // only in values, which the same build reads alike.
            if (await CheckAsync() is { } refusal)
            {
                return reason = $"the new binary refused to take over: {refusal}";
            }

            var notice = JsonRpc.Notification(Methods.ReexecNotification.Name, new ReexecNotice(Generation + 1), Methods.ReexecNotification.Params);
            var open = await server.PauseAsync(Drain, notice);
            if (open > 0)
            {
                events.Record(null, new ReexecClosedConnections(open, Drain));
            }

            await manager.PauseAllAsync(resume.Task);
            await records.FlushAsync();
            await Task.WhenAll(Hold(loop, resume.Task), Hold(logLoop, resume.Task));
            return reason = $"execve {executable} failed: {Exec()}";
        }
        catch (Exception e)
        {
            return reason = $"re-exec failed: {e.Message}";
        }
        finally
        {
            resume.TrySetResult();
            server.Resume();
            if (reason.Length > 0)
            {
                events.Record(null, new ReexecAbandoned(reason));
            }

            _one.Release();
        }
    }

    /// <summary>Holds <paramref name="target"/>'s thread between two handlers until <paramref name="resume"/>.</summary>
    private static Task Hold(EventLoop target, Task resume)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        target.Post(() =>
        {
            held.SetResult();
            resume.Wait();
        });
        return held.Task;
    }

    /// <summary>Runs <c>EXECUTABLE --check-state FILE -c CONFIG</c>; null when it exits 0, else its output.</summary>
    private async Task<string?> DryRunAsync()
    {
        if (!File.Exists(executable))
        {
            return $"{executable} does not exist";
        }

        var output = Path.Combine(Path.GetDirectoryName(stateFile)!, "reexec-check.out");
        using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        var exited = new TaskCompletionSource<ExitStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        int pid;
        try
        {
            pid = await reaper.SpawnAsync(
                () => ProcessLauncher.SpawnPlain(executable, [executable, "--check-state", stateFile, "-c", configPath],
                    CurrentEnvironment(), (int)file.SafeFileHandle.DangerousGetHandle(), -1),
                p => p,
                (_, status) => exited.TrySetResult(status));
        }
        catch (SpawnException e)
        {
            return e.Message;
        }

        if (await Task.WhenAny(exited.Task, Task.Delay(CheckTimeout)) != exited.Task)
        {
            Libc.Kill(pid, Signals.Kill);
            return $"{executable} --check-state did not finish within {CheckTimeout.TotalSeconds:0} s";
        }

        var said = File.ReadAllText(output).Trim();
        var status = exited.Task.Result;
        return status.Success ? null : $"{executable} --check-state: {status}{(said.Length > 0 ? $": {said}" : "")}";
    }

    /// <summary>Execs the new image; returns only on failure, with the error.</summary>
    private unsafe string Exec()
    {
        var handed = handOver.Descriptors();
        var strings = new List<nint>();
        try
        {
            var environment = CurrentEnvironment().Where(v => !v.StartsWith(InheritedDescriptors.Variable + "=", StringComparison.Ordinal)).ToList();
            environment.Add($"{InheritedDescriptors.Variable}={handed.Prepare(inheritable: true)}");
            var argv = ProcessLauncher.ToNative([executable, "-c", configPath], strings);
            var envp = ProcessLauncher.ToNative(environment, strings);
            // The new image starts with this thread's signal mask: none blocked.
            var empty = stackalloc byte[128];
            Linux.SigEmptySet(empty);
            Linux.SigProcMask(2 /* SIG_SETMASK */, empty, null);
            fixed (nint* a = argv)
            fixed (nint* e = envp)
            {
                Linux.Execve(executable, a, e);
            }

            return Linux.LastErrorText();
        }
        finally
        {
            handed.Prepare(inheritable: false);
            foreach (var s in strings)
            {
                Marshal.FreeCoTaskMem(s);
            }
        }
    }

    private static List<string> CurrentEnvironment() =>
        [.. Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().Select(e => $"{e.Key}={e.Value}")];
}

using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ProcessMaster.Protocol;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>
/// A real <c>dist/processmaster</c> on a config of the test's own: its own temporary directory (its working
/// directory, with logs/ and state/), socket and master cgroup <c>pmtest-&lt;run&gt;-&lt;random&gt;</c>. Disposing kills
/// anything left and removes every cgroup it created, even when the test failed.
/// </summary>
public sealed class TestDaemon : IAsyncDisposable
{
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <param name="masterExtra">More of the master config, appended.</param>
    /// <param name="socketMode">unix_socket.mode, when others than root must reach the socket.</param>
    public TestDaemon(string masterExtra = "", string? socketMode = null)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pmtest-").FullName;
        // Services may run as other users; they must be able to reach their working directories.
        File.SetUnixFileMode(Directory, (UnixFileMode)0x1ED);
        CgroupName = $"pmtest-{RunId}-{Guid.NewGuid().ToString("N")[..8]}";
        Cgroups = new TestCgroups(CgroupName);
        SocketPath = Path.Combine(Directory, "pm.sock");
        ConfigDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "config.d")).FullName;
        ConfigPath = Path.Combine(Directory, "config.yaml");
        File.WriteAllText(ConfigPath, $"""
            cgroup:
              name: {CgroupName}
            unix_socket:
              path: {SocketPath}
              {(socketMode is null ? "" : $"mode: \"{socketMode}\"")}
            global:
              config_directory: ./config.d
            {masterExtra}
            """);
    }

    /// <summary>
    /// The test run's process (./test.sh exports it as PMTEST_RUN, else this test host): cgroup names carry it,
    /// so cleaning up after an interrupted run never touches the groups of a run still in progress.
    /// </summary>
    public static string RunId { get; } = System.Environment.GetEnvironmentVariable("PMTEST_RUN") is { Length: > 0 } run
        ? run
        : System.Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string Directory { get; }

    /// <summary>The daemon binary to run (a copy, for tests that replace it on disk).</summary>
    public string Executable { get; init; } = Dist.Daemon;

    public string CgroupName { get; }

    public TestCgroups Cgroups { get; }

    public string SocketPath { get; }

    public string ConfigDirectory { get; }

    public string ConfigPath { get; }

    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Everything the daemon wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Extra environment variables for the daemon (e.g. failpoints).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>A working directory for a service, created under the test directory.</summary>
    public string WorkDir(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Directory, "work", name)).FullName;

    /// <summary>Writes <c>config.d/&lt;name&gt;.yaml</c>; <paramref name="body"/> may use {wd} for the service's working directory.</summary>
    public string AddService(string name, string body)
    {
        var path = Path.Combine(ConfigDirectory, name + ".yaml");
        File.WriteAllText(path, body.Replace("{wd}", WorkDir(name)));
        return path;
    }

    /// <summary>A long-running service running <paramref name="script"/> with /bin/sh.</summary>
    public string AddShellService(string name, string script, string extra = "") =>
        AddService(name, $"""
            process:
              working_directory: {"{wd}"}
              start_command: ["/bin/sh", "-c", {JsonSerializer.Serialize(script)}]
            {extra}
            """);

    public async Task StartAsync(bool waitReady = true)
    {
        lock (_output)
        {
            _output.Clear(); // a restart must not see the previous run's "ready"
        }

        var info = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }

        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(ConfigPath);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (waitReady)
        {
            await Eventually.TrueAsync(() => Output.Contains("[boot] ready:") || HasExited, TimeSpan.FromSeconds(30), "the daemon to be ready");
            if (HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {_process.ExitCode}:\n{Output}");
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public Task<RunResult> PmctlAsync(params string[] args) =>
        Run.ProgramAsync(Dist.Pmctl, ["-s", SocketPath, .. args], TimeSpan.FromSeconds(60));

    /// <summary>Runs pmctl and fails the test unless it exits 0.</summary>
    public async Task<string> PmctlOkAsync(params string[] args)
    {
        var result = await PmctlAsync(args);
        Assert.True(result.ExitCode == 0, $"pmctl {string.Join(' ', args)} failed: {result}");
        return result.Stdout;
    }

    /// <summary>The history as <c>pmctl events --format json</c> gives it: kinds and fields, for assertions on values.</summary>
    public async Task<IReadOnlyList<EventRecord>> EventsAsync(string? name = null, int n = 2000)
    {
        var json = await PmctlOkAsync(["events", .. name is null ? Array.Empty<string>() : [name], "-n", n.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "json"]);
        return JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.EventsResult)!.Events;
    }

    public async Task<ServiceStatus> StatusAsync(string name)
    {
        var json = await PmctlOkAsync("status", name, "--format", "json");
        return JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.StatusResult)!.Services.Single();
    }

    public Task<ServiceStatus> WaitForStateAsync(string name, string state, TimeSpan? timeout = null) =>
        Eventually.ValueAsync(() => StatusAsync(name), s => s.State == state, timeout ?? TimeSpan.FromSeconds(20),
            $"{name} to be {state}");

    /// <summary>
    /// Waits until the supervision state file says <paramref name="name"/> runs <paramref name="mainPid"/>: what a
    /// daemon killed from then on leaves for the next one to adopt (the file trails the status by a few ms).
    /// </summary>
    public Task WaitForSavedAsync(string name, int mainPid) =>
        Eventually.TrueAsync(() =>
        {
            try
            {
                using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "state", "supervision.json")));
                return saved.RootElement.GetProperty("services").TryGetProperty(name, out var service) &&
                       service.GetProperty("state").GetProperty("run").GetProperty("main_pid") is { ValueKind: JsonValueKind.Number } pid && pid.GetInt32() == mainPid;
            }
            catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), $"{name}'s main pid {mainPid} to be saved");

    public Task<RpcClient> ConnectAsync() => RpcClient.ConnectAsync(SocketPath, DistIdentity.Value);

    /// <summary>Waits for the daemon to exit by itself (its output read to the end); returns its exit code.</summary>
    public async Task<int> ExitedAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        await _process!.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM and waits for the daemon to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        ProcessMaster.Core.Interop.Libc.Kill(Pid, 15);
        return await ExitedAsync(timeout);
    }

    /// <summary>SIGKILLs the daemon (its services keep running, as after a crash).</summary>
    public async Task KillAsync()
    {
        ProcessMaster.Core.Interop.Libc.Kill(Pid, 9);
        await _process!.WaitForExitAsync();
    }

    /// <summary>Zombie children of the daemon right now.</summary>
    /// <summary>The daemon's children that have exited and are not reaped yet.</summary>
    public HashSet<int> ZombieChildren() => ProcessTable.Zombies(Pid);

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        Cgroups.Teardown();
        File.Delete(ProcessMaster.Core.Processes.NotifySocket.PathFor(SocketPath)); // a daemon killed leaves its notify socket
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

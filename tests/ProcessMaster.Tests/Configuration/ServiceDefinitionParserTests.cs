using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Configuration;

public class ServiceDefinitionParserTests
{
    private const string File = "/srv/config.d/web.yaml";

    internal static (ServiceDefinition? Definition, IReadOnlyList<ConfigError> Errors) Parse(
        string yaml, string derivedName = "web", string? autoDirectory = null, Func<string, byte[]>? readFile = null)
    {
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext(File, derivedName, autoDirectory, FakeUserDatabase.Instance,
            readFile ?? (_ => throw new FormatException("no files in this test")), TimeZoneInfo.Utc);
        return (ServiceDefinitionParser.Parse(yaml, context, errors), errors.Errors);
    }

    [Fact]
    public void AHintOutsideTheWorkingDirectory_IsDroppedWithAWarning_AndTheServiceStillLoads()
    {
        var errors = new ConfigErrorCollector();
        var context = new ServiceParseContext(File, "web", null, FakeUserDatabase.Instance, _ => [], TimeZoneInfo.Utc);
        var definition = ServiceDefinitionParser.Parse("process:\n  working_directory: /w\nlogs:\n  hints: [\"../etc/passwd\", app.log, /etc/shadow]\n", context, errors);
        Assert.Empty(errors.Errors);
        Assert.Equal(["/w/app.log"], definition!.Logs.Hints);
        Assert.Equal([
            $"{File}:4:10: logs.hints: '../etc/passwd' is outside the working directory /w; this hint is ignored (hints must stay inside it)",
            $"{File}:4:10: logs.hints: '/etc/shadow' is outside the working directory /w; this hint is ignored (hints must stay inside it)",
        ], errors.Warnings.Select(w => w.ToString()));
    }

    private static ServiceDefinition Valid(string yaml)
    {
        var (definition, errors) = Parse(yaml);
        Assert.Empty(errors);
        return Assert.IsType<ServiceDefinition>(definition);
    }

    private static ConfigError SingleError(string yaml)
    {
        var (definition, errors) = Parse(yaml);
        Assert.Null(definition);
        return Assert.Single(errors);
    }

    [Fact]
    public void Parse_Minimal_TakesEveryDefault()
    {
        var d = Valid("process:\n  working_directory: /srv/web\n");
        Assert.Equal("web", d.Name);
        Assert.Equal("/srv/web", d.WorkingDirectory);
        Assert.Equal(["./run.sh"], d.Process.StartCommand);
        Assert.Equal(15, d.Process.StopSignal);
        Assert.Null(d.Process.StopCommand);
        Assert.Equal(TimeSpan.FromSeconds(5), d.Process.StopGracePeriod);
        Assert.Null(d.Process.User);
        Assert.False(d.Process.InheritEnvironment);
        Assert.Null(d.Schedule);
        Assert.Equal("/srv/web/logs/stdout.log", d.Logs.Stdout);
        Assert.Equal("/srv/web/logs/stderr.log", d.Logs.Stderr);
        Assert.Equal(RotationMode.Size, d.Logs.RotationMode);
        Assert.Equal(10_000_000, d.Logs.RotationSize);
        Assert.Equal(10, d.Logs.RotationBackups);
        Assert.True(d.Logs.CompressionEnabled);
        Assert.Equal("/srv/web/logs/stop_command_stdout.log", d.Logs.StopCommandStdout);
        Assert.Equal(ResourceSettings.Unlimited, d.Resources);
        Assert.Equal(RestartSettings.Default, d.Restart);
        Assert.True(d.Enabled);
        Assert.Empty(d.Provisioning);
        Assert.Equal("/srv/web/.pm_provisioned", d.ProvisioningMarker);
    }

    [Fact]
    public void Parse_Full_BindsEverySection()
    {
        var d = Valid("""
            application: api
            process:
              working_directory: /srv/api
              start_command: ["/usr/bin/api", "--port", "8080"]
              stop_command: ["./stop.sh"]
              stop_grace_period_ms: 2000
              user: app
              group: extra
              inherit_environment: true
              environment:
                - name: MODE
                  value: production
                - name: TOKEN
                  value: "@base64://c2VjcmV0"
            logs:
              stdout: /var/log/api.out
              stderr: ./err.log
              rotation_mode: time
              rotation_frequency: hourly
              rotation_max_age: 7d
              compression_enabled: false
              stop_command_stdout: ~
              hints: ["./logs/app.log"]
            resources:
              max_cpu: 1.5
              max_memory: 64MiB
              max_pids: 100
            restart_policy:
              policy: always
              restart_backoff_ms: 250
              tolerance:
                max_restarts: 5
                duration: 1m
            global:
              enabled: false
            provisioning:
              - path: .
                ownership: {owner: app, group: app, recursive: true}
                mode: "0770"
              - path: ./bin/api
                mode: "0755"
                add_net_bind_capability: true
            """);
        Assert.Equal("api", d.Name);
        Assert.Equal(["/usr/bin/api", "--port", "8080"], d.Process.StartCommand);
        Assert.Equal(["./stop.sh"], d.Process.StopCommand!.Value);
        Assert.Equal("app", d.Process.User);
        Assert.Equal("extra", d.Process.Group);
        Assert.True(d.Process.InheritEnvironment);
        Assert.Equal([new EnvironmentVariable("MODE", "production"), new EnvironmentVariable("TOKEN", "secret")], d.Process.Environment);
        Assert.Equal("/var/log/api.out", d.Logs.Stdout);
        Assert.Equal("/srv/api/err.log", d.Logs.Stderr);
        Assert.Equal(RotationFrequency.Hourly, d.Logs.RotationFrequency);
        Assert.Equal(TimeSpan.FromDays(7), d.Logs.RotationMaxAge);
        Assert.False(d.Logs.CompressionEnabled);
        Assert.Null(d.Logs.StopCommandStdout);
        Assert.Equal(["/srv/api/logs/app.log"], d.Logs.Hints);
        Assert.Equal(new CpuLimit(1500), d.Resources.Cpu);
        Assert.Equal(64L << 20, d.Resources.MemoryMax);
        Assert.Equal(0L, d.Resources.SwapMax);
        Assert.Equal(100L, d.Resources.PidsMax);
        Assert.Equal(new RestartSettings(RestartPolicy.Always, TimeSpan.FromMilliseconds(250), 5, TimeSpan.FromMinutes(1)), d.Restart);
        Assert.False(d.Enabled);
        Assert.Equal(new ProvisioningStep("/srv/api", "app", "app", true, 0x1F8, false), d.Provisioning[0]);
        Assert.Equal(new ProvisioningStep("/srv/api/bin/api", null, null, false, 0x1ED, true), d.Provisioning[1]);
    }

    [Fact]
    public void Parse_ResourcesWithoutMaxSwap_DisablesSwap()
    {
        var d = Valid("process:\n  working_directory: /w\nresources:\n  max_memory: 1GiB\n");
        Assert.Equal(0L, d.Resources.SwapMax);
        Assert.Null(d.Resources.Cpu);
    }

    [Fact]
    public void Parse_MaxEverywhere_IsUnlimited()
    {
        var d = Valid("process:\n  working_directory: /w\nresources:\n  max_cpu: MAX\n  max_memory: MAX\n  max_swap: MAX\n");
        Assert.Equal(ResourceSettings.Unlimited, d.Resources);
    }

    [Fact]
    public void Parse_Cron_BindsScheduleAndBounds()
    {
        var d = Valid("""
            process:
              working_directory: /w
              schedule: "*/5 * * * *"
              timezone: Europe/Berlin
              not_before: "2026-01-01"
              not_after: "2026-12-31 18:00:00"
              max_time_per_run: 10m
            """);
        Assert.True(d.IsCron);
        Assert.Null(d.Restart);
        Assert.Equal("*/5 * * * *", d.Schedule!.Cron.Text);
        Assert.Equal("Europe/Berlin", d.Schedule.Cron.Zone.Id);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(1)), d.Schedule.NotBefore);
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 18, 0, 0, TimeSpan.FromHours(1)), d.Schedule.NotAfter);
        Assert.Equal(TimeSpan.FromMinutes(10), d.Schedule.MaxTimePerRun);
    }

    [Theory]
    [InlineData("never")]
    [InlineData("\"\"")]
    public void Parse_MaxTimePerRunNever_MeansNoLimit(string value)
    {
        var d = Valid($"process:\n  working_directory: /w\n  schedule: \"* * * * *\"\n  max_time_per_run: {value}\n");
        Assert.Null(d.Schedule!.MaxTimePerRun);
    }

    [Fact]
    public void Parse_UnknownKey_NamesFileLineColumnKeyAndSuggestion()
    {
        var error = SingleError("process:\n  working_directory: /w\n  stop_signl: SIGINT\n");
        Assert.Equal("/srv/config.d/web.yaml:3:3: process.stop_signl: unknown key; did you mean 'stop_signal'?", error.ToString());
    }

    [Fact]
    public void Commands_AsAString_AreSplitIntoWords_AndAListStaysAsItIs()
    {
        var d = Valid("process:\n  working_directory: /w\n  start_command: \"gunicorn -b '127.0.0.1:8000' app:app\"\n  stop_command: [\"kill it\"]\n");
        Assert.Equal(["gunicorn", "-b", "127.0.0.1:8000", "app:app"], d.Process.StartCommand);
        Assert.Equal(["kill it"], d.Process.StopCommand!.Value);
    }

    [Fact]
    public void References_ToKnownNames_AreKept_AndDecodedValuesAreNotTemplates()
    {
        var d = Valid("""
            process:
              working_directory: /w
              start_command: "./app --db ${DB_URL} --home ${HOME} --port ${PORT:-8080} --literal $${X}"
              environment:
                - {name: DB_HOST, value: db}
                - {name: DB_URL, value: "postgres://${DB_HOST}/app"}
                - {name: BLOB, value: "@base64://JHtOT1BFfQ=="}
            """);
        Assert.Equal(["./app", "--db", "${DB_URL}", "--home", "${HOME}", "--port", "${PORT:-8080}", "--literal", "$${X}"], d.Process.StartCommand);
        Assert.Equal("$${NOPE}", d.Process.Environment[2].Value); // "${NOPE}" decoded: it expands to itself
    }

    [Fact]
    public void References_ToUnknownNames_AreErrorsWhereTheyAreWritten()
    {
        var (_, errors) = Parse("process:\n  working_directory: /w\n  start_command: [\"./app\", \"${DB_URL}\"]\n  environment:\n    - {name: A, value: \"${B}\"}\n    - {name: B, value: x}\n");
        Assert.Collection(errors.OrderBy(e => e.Line),
            e => Assert.Equal((3, 28, "process.start_command[1]"), (e.Line, e.Column, e.Key)),
            e => Assert.Equal("process.environment[0].value", e.Key)); // B is set only after A
        Assert.All(errors, e => Assert.Contains("is not set for this service", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void EnvironmentFiles_ArePathsOrMappings_AndDeferTheNameCheckToTheStart()
    {
        var d = Valid("process:\n  working_directory: /w\n  start_command: \"./app ${FROM_FILE}\"\n  environment_file: [env, {path: /etc/app.env, optional: true}]\n");
        Assert.Equal([new EnvironmentFileSetting("/w/env", false), new EnvironmentFileSetting("/etc/app.env", true)], d.Process.EnvironmentFiles);
        Assert.Equal("process.environment_file[0]", SingleError("process:\n  working_directory: /w\n  environment_file: [{optional: true}]\n").Key);
    }

    [Fact]
    public void StderrToStdout_IsTheWordStdout_AFileOfThatNameIsWrittenAsAPath()
    {
        var merged = Valid("process:\n  working_directory: /w\nlogs:\n  stderr: stdout\n").Logs;
        Assert.Equal((true, null, "/w/logs/stdout.log"), (merged.StderrToStdout, merged.Stderr, merged.Stdout));

        var file = Valid("process:\n  working_directory: /w\nlogs:\n  stderr: ./stdout\n").Logs;
        Assert.Equal((false, "/w/stdout"), (file.StderrToStdout, file.Stderr));
    }

    [Fact]
    public void StopSettings_KillModeExitType_AndAStopSignalBesideTheStopCommand()
    {
        var both = Valid("process:\n  working_directory: /w\n  stop_command: ./stop\n  stop_signal: SIGQUIT\n  kill_mode: mixed\n  exit_type: main\n").Process;
        Assert.Equal((3, true, KillMode.Mixed, ExitType.Main), (both.StopSignal, both.SignalAfterStopCommand, both.KillMode, both.ExitType));

        var commandOnly = Valid("process:\n  working_directory: /w\n  stop_command: ./stop\n").Process;
        Assert.Equal((15, false, KillMode.ControlGroup, ExitType.Cgroup), (commandOnly.StopSignal, commandOnly.SignalAfterStopCommand, commandOnly.KillMode, commandOnly.ExitType));
    }

    [Fact]
    public void ProcessTuning_IsReadIntoWhatTheShimSets()
    {
        var p = Valid("""
            process:
              working_directory: /w
              umask: "0027"
              limits: {open_files: 4096, core_size: unlimited, stack_size: {soft: 8MiB, hard: 16MiB}}
              nice: -5
              io_scheduling: best-effort
              cpu_affinity: "0"
              oom_score_adjust: -1000
            """).Process;
        Assert.Equal(0x17, p.Umask);
        Assert.Equal(
        [
            new ProcessLimit(ProcessLimitKind.OpenFiles, 4096, 4096),
            new ProcessLimit(ProcessLimitKind.CoreSize, ProcessLimit.Unlimited, ProcessLimit.Unlimited),
            new ProcessLimit(ProcessLimitKind.StackSize, 8 << 20, 16 << 20),
        ], p.Limits);
        Assert.Equal((-5, "best-effort:4", -1000), (p.Nice, p.IoScheduling!.ToString(), p.OomScoreAdjust));
        Assert.Equal([0], p.CpuAffinity);
        Assert.Equal(["--umask", "27", "--rlimit", "7:4096:4096", "--rlimit", "4:inf:inf", "--rlimit", "3:8388608:16777216", "--nice", "-5",
            "--ioprio", "16388", "--cpus", "0", "--oom-score-adj", "-1000"], Core.Processes.ExecTuning.From(p).ShimArguments());
    }

    [Theory]
    [InlineData("umask: \"1777\"", "process.umask", "at most 0777")]
    [InlineData("limits: {open_files: 10MiB}", "process.limits.open_files", "not a count")]
    [InlineData("limits: {stack_size: {soft: 16MiB, hard: 8MiB}}", "process.limits.stack_size.soft", "not be above the hard")]
    [InlineData("limits: {stack_size: {soft: 16MiB}}", "process.limits.stack_size", "set both soft and hard")]
    [InlineData("limits: {open_file: 10}", "process.limits.open_file", "did you mean 'open_files'")]
    [InlineData("nice: 20", "process.nice", "between -20 and 19")]
    [InlineData("io_scheduling: realtime:8", "process.io_scheduling", "level must be 0")]
    [InlineData("io_scheduling: idle:1", "process.io_scheduling", "idle takes no level")]
    [InlineData("cpu_affinity: \"3-1\"", "process.cpu_affinity", "runs backwards")]
    [InlineData("cpu_affinity: \"1023\"", "process.cpu_affinity", "not online on this host")]
    [InlineData("oom_score_adjust: -1001", "process.oom_score_adjust", "between -1000 and 1000")]
    public void ProcessTuning_BadValuesAreErrorsAtTheirKey(string line, string key, string message)
    {
        var error = SingleError($"process:\n  working_directory: /w\n  {line}\n");
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RestartPolicy_OnFailure_WithSuccessCodesAndMinUptime()
    {
        var restart = Valid("process:\n  working_directory: /w\nrestart_policy:\n  policy: on-failure\n  success_exit_codes: [0, 2, 2]\n  min_uptime: 10s\n").Restart!;
        Assert.Equal(RestartPolicy.OnFailure, restart.Policy);
        Assert.Equal([0, 2], restart.SuccessExitCodes);
        Assert.Equal(TimeSpan.FromSeconds(10), restart.MinUptime);

        var defaults = Valid("process:\n  working_directory: /w\nrestart_policy:\n  policy: never\n").Restart!;
        Assert.Equal([0], defaults.SuccessExitCodes);
        Assert.Equal(TimeSpan.FromSeconds(1), defaults.MinUptime);
    }

    [Theory]
    [InlineData("process:\n  working_directory: /w\n  schedule: \"* * * * *\"\nrestart_policy:\n  policy: always\n", "restart_policy", "cannot have a restart_policy")]
    [InlineData("process:\n  working_directory: /w\n  kill_mode: process\n", "process.kill_mode", "not a kill mode")]
    [InlineData("process:\n  working_directory: /w\n  exit_type: forking\n", "process.exit_type", "not an exit type")]
    [InlineData("application: \"../x\"\nprocess:\n  working_directory: /w\n", "application", "must not start with '.'")]
    [InlineData("application: \"x/../y\"\nprocess:\n  working_directory: /w\n", "application", "may only contain")]
    [InlineData("application: all\nprocess:\n  working_directory: /w\n", "application", "reserved")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: always\n  tolerance:\n    max_restarts: 501\n", "restart_policy.tolerance.max_restarts", "between 0 and 500")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: never\n  restart_backoff_ms: 10\n", "restart_policy.restart_backoff_ms", "does not apply to policy: never")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: sometimes\n", "restart_policy.policy", "not a restart policy")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: never\n  min_uptime: 2s\n", "restart_policy.min_uptime", "does not apply to policy: never")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: on-failure\n  success_exit_codes: [0, 256]\n", "restart_policy.success_exit_codes[1]", "between 0 and 255")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: on-failure\n  success_exit_codes: [zero]\n", "restart_policy.success_exit_codes[0]", "whole number")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: on-failure\n  success_exit_codes: []\n", "restart_policy.success_exit_codes", "at least one")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  policy: on-failure\n  min_uptime: soon\n", "restart_policy.min_uptime", "")]
    [InlineData("process:\n  working_directory: /w\nrestart_policy:\n  restart_backoff_ms: 10\n", "restart_policy", "missing required key 'policy'")]
    [InlineData("process:\n  working_directory: /w\n  stop_signal: SIGFOO\n", "process.stop_signal", "unknown signal")]
    [InlineData("process:\n  working_directory: /w\n  user: ghost\n", "process.user", "does not exist")]
    [InlineData("process:\n  working_directory: /w\n  user: app\n  group: ghosts\n", "process.group", "does not exist")]
    [InlineData("process:\n  working_directory: /w\n  group: app\n", "process.group", "needs process.user")]
    [InlineData("process:\n  working_directory: /w\n  schedule: \"* * *\"\n", "process.schedule", "3 fields")]
    [InlineData("process:\n  working_directory: /w\n  schedule: \"* * * * *\"\n  not_before: \"2026-02-01\"\n  not_after: \"2026-01-01\"\n", "process.not_after", "earlier than not_before")]
    [InlineData("process:\n  working_directory: /w\n  not_after: \"2026-01-01\"\n", "process.not_after", "only applies to cron jobs")]
    [InlineData("process:\n  working_directory: /w\n  schedule: \"* * * * *\"\n  max_time_per_run: 10\n", "process.max_time_per_run", "needs a unit")]
    [InlineData("process:\n  working_directory: /w\n  schedule: \"* * * * *\"\n  timezone: Mars/Olympus\n", "process.timezone", "unknown time zone")]
    [InlineData("process:\n  working_directory: /w\n  environment:\n    - name: \"A=B\"\n      value: x\n", "process.environment[0].name", "must not contain '='")]
    [InlineData("process:\n  working_directory: /w\n  environment:\n    - name: A\n      value: \"@hex://abc\"\n", "process.environment[0].value", "odd number")]
    [InlineData("process:\n  working_directory: /w\n  environment:\n    - name: A\n", "process.environment[0]", "missing required key 'value'")]
    [InlineData("process:\n  working_directory: /w\n  start_command: []\n", "process.start_command", "non-empty argv list")]
    [InlineData("process:\n  working_directory: /w\n  start_command: \"./run.sh 'open\"\n", "process.start_command", "unterminated single quote")]
    [InlineData("process:\n  working_directory: /w\n  stop_grace_period_ms: -1\n", "process.stop_grace_period_ms", "between 0 and")]
    [InlineData("process:\n  working_directory: /w\nlogs:\n  rotation_size: 10x\n", "logs.rotation_size", "unknown size unit")]
    [InlineData("process:\n  working_directory: /w\nlogs:\n  rotation_mode: time\n  rotation_size: 1m\n", "logs.rotation_size", "only applies to rotation_mode: size")]
    [InlineData("process:\n  working_directory: /w\nlogs:\n  rotation_frequency: hourly\n", "logs.rotation_frequency", "only applies to rotation_mode: time")]
    [InlineData("process:\n  working_directory: /w\nlogs:\n  rotation_mode: time\n  rotation_frequency: yearly\n", "logs.rotation_frequency", "not a rotation frequency")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  max_cpu: lots\n", "resources.max_cpu", "not a CPU limit")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  max_memory: 100\n", "resources.max_memory", "below one page")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  max_swap: -1\n", "resources.max_swap", "not a size")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_weight: 0\n", "resources.io_weight", "between 1 and 10000")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_weight: 10001\n", "resources.io_weight", "between 1 and 10000")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {max_read_iops: 10}\n", "resources.io_bandwidth[0]", "needs a device")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: vda, max_read_iops: 10}\n", "resources.io_bandwidth[0].device", "not a block device")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: /dev/vda}\n", "resources.io_bandwidth[0]", "limits nothing")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: /dev/vda, max_read_bytes_per_second: 1000}\n", "resources.io_bandwidth[0].max_read_bytes_per_second", "below the minimum of 1024")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: /dev/vda, max_write_iops: 4}\n", "resources.io_bandwidth[0].max_write_iops", "below the minimum of 5")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: /dev/vda, max_write_iops: 1.5}\n", "resources.io_bandwidth[0].max_write_iops", "whole number")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: /dev/vda, max_write_bytes_per_second: fast}\n", "resources.io_bandwidth[0].max_write_bytes_per_second", "not a size")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: /dev/vda, max_write_iop: 10}\n", "resources.io_bandwidth[0].max_write_iop", "did you mean 'max_write_iops'")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth:\n    - {device: \"8:0\", max_read_iops: 10}\n    - {device: \"8:00\", max_write_iops: 10}\n", "resources.io_bandwidth[1].device", "has an io_bandwidth entry already")]
    [InlineData("process:\n  working_directory: /w\nresources:\n  io_bandwidth: /dev/vda\n", "resources.io_bandwidth", "expected a list of mappings")]
    [InlineData("process:\n  working_directory: /w\nglobal:\n  enabled: maybe\n", "global.enabled", "expected true or false")]
    [InlineData("process:\n  working_directory: /w\nprovisioning:\n  - mode: \"0755\"\n", "provisioning[0]", "missing required key 'path'")]
    [InlineData("process:\n  working_directory: /w\nprovisioning:\n  - path: .\n    mode: \"0999\"\n", "provisioning[0].mode", "octal")]
    [InlineData("process:\n  working_directory: /w\nprovisioning:\n  - path: .\n    ownership: {owner: ghost}\n", "provisioning[0].ownership.owner", "does not exist")]
    [InlineData("process:\n  start_command: [\"./run.sh\"]\n", "process", "missing required key 'working_directory'")]
    [InlineData("logs: {}\n", null, "missing required section 'process'")]
    [InlineData("- a\n- b\n", null, "expected a mapping")]
    public void Parse_InvalidDefinition_ReportsTheKeyAndReason(string yaml, string? key, string reason)
    {
        var (definition, errors) = Parse(yaml);
        Assert.Null(definition);
        Assert.Contains(errors, e => e.Key == key && e.Message.Contains(reason));
        Assert.All(errors, e => Assert.True(e.Line > 0, $"no position in {e}"));
    }

    [Fact]
    public void Parse_IoLimits_AsTheOriginalWritesThem()
    {
        var d = Valid("process:\n  working_directory: /w\nresources:\n  io_weight: 500\n  io_bandwidth:\n" +
                      "    - {device: \"253:8\", max_read_bytes_per_second: 75MiB, max_write_bytes_per_second: 75MiB, max_read_iops: 5000, max_write_iops: 2000}\n" +
                      "    - {device: \" /dev/disk/by-id/nvme-x \", max_write_bytes_per_second: 1024, max_read_iops: MAX}\n");
        Assert.Equal(500, d.Resources.IoWeight);
        Assert.Equal([
            new IoBandwidthLimit("253:8", 75L << 20, 75L << 20, 5000, 2000),
            new IoBandwidthLimit("/dev/disk/by-id/nvme-x", null, 1024, null, null),
        ], d.Resources.IoBandwidth);
    }

    [Fact]
    public void Parse_NoIoKeys_MeansTheKernelDefaults()
    {
        var d = Valid("process:\n  working_directory: /w\nresources:\n  max_memory: 64MiB\n");
        Assert.Null(d.Resources.IoWeight);
        Assert.Empty(d.Resources.IoBandwidth);
        Assert.Equal(ResourceSettings.Unlimited.IoBandwidth, d.Resources.IoBandwidth);
    }

    [Fact]
    public void Parse_NameDerivedFromFile_IsValidated()
    {
        var (definition, errors) = Parse("process:\n  working_directory: /w\n", derivedName: "bad name");
        Assert.Null(definition);
        Assert.Contains("derived from the file name", Assert.Single(errors).Message);
    }

    [Fact]
    public void Parse_AutoService_DefaultsWorkingDirectoryAndChecksName()
    {
        var (d, errors) = Parse("process: {}\n", derivedName: "svc", autoDirectory: "/srv/auto");
        Assert.Empty(errors);
        Assert.Equal("/srv/auto/svc", d!.WorkingDirectory);
        Assert.True(d.IsAutoService);

        var (_, mismatch) = Parse("application: other\nprocess: {}\n", derivedName: "svc", autoDirectory: "/srv/auto");
        Assert.Contains("named after its directory", Assert.Single(mismatch).Message);
    }

    [Fact]
    public void Parse_EnvironmentFile_IsReadThroughTheInjectedReader()
    {
        var (d, errors) = Parse("process:\n  working_directory: /w\n  environment:\n    - {name: KEY, value: \"@file:///run/key\"}\n",
            readFile: path => path == "/run/key" ? "k3y"u8.ToArray() : throw new FormatException("unexpected"));
        Assert.Empty(errors);
        Assert.Equal("k3y", d!.Process.Environment[0].Value);
    }

    [Fact]
    public void Parse_SameText_GivesEqualDefinitions_AndAnyChangeDoesNot()
    {
        const string yaml = "process:\n  working_directory: /w\n  start_command: [\"a\", \"b\"]\n  environment:\n    - {name: X, value: \"1\"}\n";
        Assert.Equal(Valid(yaml), Valid(yaml));
        Assert.NotEqual(Valid(yaml), Valid(yaml.Replace("\"b\"", "\"c\"")));
        Assert.NotEqual(Valid(yaml), Valid(yaml.Replace("\"1\"", "\"2\"")));
    }

    [Fact]
    public void Parse_CollectsEveryErrorOfAFile()
    {
        var (_, errors) = Parse("""
            process:
              working_directory: /w
              stop_signal: SIGNOPE
              user: ghost
            logs:
              rotation_size: big
            resources:
              max_cpu: -3
            """);
        Assert.Equal(["process.stop_signal", "process.user", "logs.rotation_size", "resources.max_cpu"], errors.Select(e => e.Key ?? "").ToArray());
    }
}

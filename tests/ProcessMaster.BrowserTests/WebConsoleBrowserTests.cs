using Microsoft.Playwright;
using ProcessMaster.IntegrationTests.Support;
using static Microsoft.Playwright.Assertions;

namespace ProcessMaster.BrowserTests;

/// <summary>
/// The web console in a real browser (Debian's Chromium driven by Playwright): log in, watch services
/// change state live, follow logs, run an admin action, reload definitions, with no console errors.
/// </summary>
public sealed class WebConsoleBrowserTests : IAsyncLifetime
{
    private const string User = "ops";
    private const string Password = "browser-secret";

    private TestDaemon _daemon = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;
    private readonly List<string> _errors = [];
    private string _url = "";

    public async Task InitializeAsync()
    {
        var port = FreePort.Next();
        var entry = (await Run.ProgramAsync(Dist.Pmctl, ["password", "generate", "--user", User], stdin: Password + "\n")).Stdout.Trim();
        _daemon = new TestDaemon($$"""
            web_console:
              enabled: true
              bind: 127.0.0.1
              port: {{port}}
              auth:
                basic:
                  users: ["{{entry}}"]
            admin_actions:
              hello:
                label: "Say hello"
                command: ["/bin/sh", "-c", "echo hello; sleep 30"]
            """);
        _daemon.AddShellService("web", "i=0; while :; do i=$((i+1)); printf '\\033[32mtick\\033[0m %d\\n' $i; sleep 0.3; done");
        _daemon.AddShellService("worker", "exec sleep 1000", "resources:\n  max_memory: 256MiB\n  io_weight: 300");
        _daemon.AddService("nightly", "process:\n  working_directory: {wd}\n  start_command: [\"/bin/true\"]\n  schedule: \"30 2 * * *\"\n");
        _daemon.AddShellService("db", "exec sleep 1000", "readiness_probe:\n  exec: {command: [\"test\", \"-e\", \"ready\"]}\n  period: 300ms\n  timeout: 300ms");
        _daemon.AddShellService("api", "exec sleep 1000", "depends_on:\n  db: {condition: healthy}");
        await _daemon.StartAsync();
        _url = $"http://127.0.0.1:{port}/processmaster/";

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("PM_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            HttpCredentials = new HttpCredentials { Username = User, Password = Password },
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout(15_000);
        _page = await context.NewPageAsync();
        _page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Add(message.Text);
            }
        };
        _page.PageError += (_, error) => _errors.Add(error);
        await _page.GotoAsync(_url);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _daemon.DisposeAsync();
    }

    private ILocator Row(string name) => _page.Locator($"tr[data-name='{name}']");

    private async Task ConfirmAsync() => await _page.Locator("#confirm-yes").ClickAsync();

    [SystemFact]
    public async Task Console_ShowsServicesLive_ControlsThem_FollowsLogs_RunsActions_AndReloads()
    {
        // Logged in, the services with their state, and the build in the navbar.
        await Expect(Row("web").Locator(".pill")).ToHaveTextAsync("RUNNING");
        await Expect(Row("worker").Locator(".pill")).ToHaveTextAsync("RUNNING");
        await Expect(_page.Locator("#build")).ToContainTextAsync(DistIdentity.Value.BuildHost);
        await Expect(_page.Locator("#connection")).ToHaveTextAsync("live");

        // Start order and health: api waits for db to be healthy, and says so.
        await Expect(Row("api").Locator("td:nth-child(2) .pill")).ToHaveTextAsync("WAITING");
        await Expect(Row("api")).ToContainTextAsync("waiting for db (healthy)");
        await Expect(Row("db").Locator("td:nth-child(3) .pill")).ToHaveTextAsync("starting");
        await SaveScreenshotAsync("web-console.png");
        File.WriteAllText(Path.Combine(_daemon.WorkDir("db"), "ready"), "");
        await Expect(Row("db").Locator("td:nth-child(3) .pill")).ToHaveTextAsync("healthy");
        await Expect(Row("api").Locator("td:nth-child(2) .pill")).ToHaveTextAsync("RUNNING");

        // Stop and start a service; the row changes without reloading the page.
        await Row("worker").Locator("button[data-action='stop']").ClickAsync();
        await ConfirmAsync();
        await Expect(Row("worker").Locator(".pill")).ToHaveTextAsync("STOPPED");
        Assert.Equal("STOPPED", (await _daemon.StatusAsync("worker")).State);
        await Row("worker").Locator("button[data-action='start']").ClickAsync();
        await ConfirmAsync();
        await Expect(Row("worker").Locator(".pill")).ToHaveTextAsync("RUNNING");
        await Expect(_page.Locator("#alert")).ToContainTextAsync("worker: started");

        // Logs: the tail, ANSI colours rendered, and new lines arriving live.
        await Row("web").Locator("button[data-action='logs']").ClickAsync();
        var output = _page.Locator("#logs-output");
        await Expect(output).ToContainTextAsync("stdout.log <==");
        await Expect(output.Locator("span.ansi-fg-2").First).ToHaveTextAsync("tick");
        var before = await output.Locator("div").CountAsync();
        await Expect(output.Locator("div")).Not.ToHaveCountAsync(before, new() { Timeout = 10_000 });
        // A live line of stdout after the stderr tail comes under its own file's header again.
        await Expect(output.Locator("div.file").Last).ToContainTextAsync("stdout.log <==");
        Assert.DoesNotContain("\u001b[", await output.InnerTextAsync());
        await SaveScreenshotAsync("web-console-logs.png");
        await _page.Locator("#logs-close").ClickAsync();

        // Service details with the charts.
        await Row("worker").Locator("button[data-action='details']").ClickAsync();
        await Expect(_page.Locator("#details-metrics")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"memory +[\d.]+ [KMG]?i?B of 256 MiB"));
        await Expect(_page.Locator("#details-metrics")).ToContainTextAsync("io.weight     300");
        var worker = (await _daemon.StatusAsync("worker")).MainPid;
        await Expect(_page.Locator("#details-processes")).ToContainTextAsync(new System.Text.RegularExpressions.Regex($@"{worker}  root +[\d.]+s +[\d.]+ [KM]iB +\S+ +sleep 1000"));
        await _page.Locator("#details-close").ClickAsync();

        // Cron jobs and events.
        await _page.Locator(".tabs button[data-tab='cron']").ClickAsync();
        await Expect(Row("nightly")).ToContainTextAsync("30 2 * * *");
        await Row("nightly").Locator("button[data-action='details']").ClickAsync();
        var schedule = _page.Locator("#details-metrics");
        await Expect(schedule).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"schedule +30 2 \* \* \* \(.+\)"));
        await Expect(schedule).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"max per run +unlimited"));
        Assert.Equal(5, System.Text.RegularExpressions.Regex.Matches(await schedule.InnerTextAsync(), @"\b2:30:00\b|\b02:30:00\b").Count);
        await _page.Locator("#details-close").ClickAsync();
        await _page.Locator(".tabs button[data-tab='events']").ClickAsync();
        await Expect(_page.Locator("#events")).ToContainTextAsync("app=worker");
        await _page.Locator(".tabs button[data-tab='services']").ClickAsync();

        // An admin action.
        await _page.Locator("#admin").ClickAsync();
        await Expect(_page.Locator("#admin-actions")).ToContainTextAsync("Say hello");
        await _page.Locator("#admin-actions button[data-action='admin-run']").ClickAsync();
        await ConfirmAsync();
        await Expect(_page.Locator("#alert")).ToContainTextAsync("admin_action hello spawned pid=");
        await Expect(_page.Locator("#admin-pids")).Not.ToHaveTextAsync("none");
        await _page.Locator("#admin-close").ClickAsync();

        // Reload definitions: a new service appears.
        _daemon.AddShellService("added", "exec sleep 1000");
        await _page.Locator("#reload").ClickAsync();
        await ConfirmAsync();
        await Expect(_page.Locator("#alert")).ToContainTextAsync("added: added");
        await Expect(Row("added").Locator(".pill")).ToHaveTextAsync("RUNNING");

        Assert.Empty(_errors);
    }

    [SystemFact]
    public async Task BulkActions_Sorting_Columns_AndFlags_AtTheOriginalsBookmark()
    {
        await _page.GotoAsync(_url + "status"); // where the original's console was
        var state = (string name) => Row(name).Locator("td:nth-child(2) .pill");
        await Expect(state("web")).ToHaveTextAsync("RUNNING");

        // Stop all and Start all, confirmed, through the same RPC as pmctl.
        await _page.Locator(".bulk button[data-action='stop'][data-name='all']").ClickAsync();
        await Expect(_page.Locator("#confirm-text")).ToHaveTextAsync("Stop all services (and running cron jobs)?");
        await ConfirmAsync();
        foreach (var name in new[] { "web", "worker", "db", "api" })
        {
            await Expect(state(name)).ToHaveTextAsync("STOPPED");
            Assert.Equal("STOPPED", (await _daemon.StatusAsync(name)).State);
        }

        await _page.Locator(".bulk button[data-action='start'][data-name='all']").ClickAsync();
        await ConfirmAsync();
        await Expect(state("web")).ToHaveTextAsync("RUNNING");
        await Expect(state("worker")).ToHaveTextAsync("RUNNING");
        Assert.Contains("[operator] start all by ops via web 127.0.0.1", await _daemon.PmctlOkAsync("events"));

        // Sorting: by name, then the other way round.
        var names = _page.Locator("#services tbody tr");
        await Expect(names.First).ToHaveAttributeAsync("data-name", "api");
        await _page.Locator("#services th[data-sort='name']").ClickAsync();
        await Expect(names.First).ToHaveAttributeAsync("data-name", "worker");
        await Expect(_page.Locator("#services th[data-sort='name']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("sorted-desc"));

        // Columns: PIDs hidden, and still hidden after a reload.
        await _page.Locator("#columns-button").ClickAsync();
        await _page.Locator("#columns-menu input[data-col='PIDs']").UncheckAsync();
        await Expect(_page.Locator("#services th[data-col='PIDs']")).ToBeHiddenAsync();
        await _page.ReloadAsync();
        await Expect(state("web")).ToHaveTextAsync("RUNNING");
        await Expect(_page.Locator("#services th[data-col='PIDs']")).ToBeHiddenAsync();
        await Expect(Row("web").Locator("td.pids")).ToBeHiddenAsync();
        await Expect(names.First).ToHaveAttributeAsync("data-name", "worker");

        // Flags: added with a time to live as a chip, removed with its button.
        await Row("web").Locator("button[data-action='flag']").ClickAsync();
        await _page.Locator("#flag-names").FillAsync("maintenance");
        await _page.Locator("#flag-ttl").FillAsync("2h");
        await _page.Locator("#flag-yes").ClickAsync();
        await Expect(_page.Locator("#alert")).ToContainTextAsync("web: flagged maintenance");
        var chip = Row("web").Locator(".chip");
        await Expect(chip).ToContainTextAsync("maintenance");
        var flag = Assert.Single((await _daemon.StatusAsync("web")).Flags);
        Assert.InRange(flag.ExpiresAt!.Value - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(110), TimeSpan.FromMinutes(120));
        await chip.Locator("button[data-action='unflag']").ClickAsync();
        await Expect(chip).ToHaveCountAsync(0);
        Assert.Empty((await _daemon.StatusAsync("web")).Flags);
        Assert.Empty(_errors);
    }

    [SystemFact]
    public async Task DarkTheme_IsRemembered()
    {
        await _page.Locator("#theme").ClickAsync();
        Assert.Equal("dark", await _page.EvaluateAsync<string>("document.documentElement.dataset.theme"));
        await _page.ReloadAsync();
        Assert.Equal("dark", await _page.EvaluateAsync<string>("document.documentElement.dataset.theme"));
        Assert.Empty(_errors);
    }

    /// <summary>Screenshots for the README: written to docs/ when PM_UPDATE_SCREENSHOTS is set, else to the temp directory.</summary>
    private async Task SaveScreenshotAsync(string name)
    {
        var directory = Environment.GetEnvironmentVariable("PM_UPDATE_SCREENSHOTS") is { Length: > 0 }
            ? Path.Combine(Dist.Root, "docs", "screenshots")
            : Path.Combine(_daemon.Directory, "screenshots");
        Directory.CreateDirectory(directory);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name) });
    }
}

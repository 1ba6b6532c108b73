using System.Diagnostics;
using System.Text;

namespace ProcessMaster.IntegrationTests.Support;

/// <summary>The outcome of running a command.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs a program to completion with a timeout (killing it if it overruns).</summary>
public static class Run
{
    public static async Task<RunResult> ProgramAsync(string program, IEnumerable<string> args, TimeSpan? timeout = null,
        IDictionary<string, string>? environment = null, string? workingDirectory = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout ?? TimeSpan.FromSeconds(60)}");
        }

        return new RunResult(process.ExitCode, await stdout, await stderr);
    }

    public static Task<RunResult> ShellAsync(string script, TimeSpan? timeout = null) =>
        ProgramAsync("/bin/sh", ["-c", script], timeout);
}

/// <summary>Polling waits for conditions observed from outside the daemon (tests only).</summary>
public static class Eventually
{
    /// <param name="poll">How often to look (50 ms unless a moment must not be missed).</param>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what, TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#}s waiting for: {what}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50));
        }
    }

    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> accept, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (accept(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#}s waiting for: {what}; last value: {value}");
            }

            await Task.Delay(100);
        }
    }
}

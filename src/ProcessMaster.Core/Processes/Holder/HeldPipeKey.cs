using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes.Holder;

/// <summary>Names one output pipe the holder keeps: which stream of which process of which service.</summary>
public sealed record HeldPipeKey(string App, int Pid, ProcessRole Role, bool Stderr)
{
    /// <summary>As the holder protocol carries it, e.g. <c>main.stdout 4242 web</c>.</summary>
    public string Text => $"{(Role == ProcessRole.Main ? "main" : "stop")}.{(Stderr ? "stderr" : "stdout")} {Pid.ToString(CultureInfo.InvariantCulture)} {App}";

    public static HeldPipeKey? Parse(string text)
    {
        var parts = text.Split(' ', 3);
        if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || parts[2].Length == 0)
        {
            return null;
        }

        return parts[0] switch
        {
            "main.stdout" => new HeldPipeKey(parts[2], pid, ProcessRole.Main, false),
            "main.stderr" => new HeldPipeKey(parts[2], pid, ProcessRole.Main, true),
            "stop.stdout" => new HeldPipeKey(parts[2], pid, ProcessRole.StopCommand, false),
            "stop.stderr" => new HeldPipeKey(parts[2], pid, ProcessRole.StopCommand, true),
            _ => null,
        };
    }
}

/// <summary>A pipe an earlier daemon's holder gave back: its key and its read end.</summary>
public sealed record HeldPipe(HeldPipeKey Key, SafeFileHandle Pipe);

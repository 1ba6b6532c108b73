using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Reads the status pipe of <c>processmaster-exec</c> on the event loop: end-of-file with no data means
/// the command was executed; otherwise the text is why it could not be.
/// </summary>
public static class ExecStatus
{
    private const string Prefix = "processmaster-exec: ";

    /// <summary>Completes with null once the command was executed, or with the shim's error message.</summary>
    public static async Task<string?> ReadAsync(EventLoop loop, SafeFileHandle status)
    {
        var message = (await PipeText.ReadAsync(loop, status, maxBytes: 4096)).Trim();
        return message.Length == 0 ? null : message.StartsWith(Prefix, StringComparison.Ordinal) ? message[Prefix.Length..] : message;
    }
}

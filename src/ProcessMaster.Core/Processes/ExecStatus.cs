using System.Text;
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
    public static unsafe Task<string?> ReadAsync(EventLoop loop, SafeFileHandle status)
    {
        var result = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var text = new StringBuilder();
        loop.Register((int)status.DangerousGetHandle(), Linux.EPOLLIN | Linux.EPOLLRDHUP, (_, registration) =>
        {
            var buffer = stackalloc byte[1024];
            var n = (int)Libc.Read((int)status.DangerousGetHandle(), buffer, 1024);
            if (n > 0)
            {
                text.Append(Encoding.UTF8.GetString(buffer, n));
                return;
            }

            registration.Dispose();
            status.Dispose();
            var message = text.ToString().Trim();
            result.SetResult(message.Length == 0 ? null : message.StartsWith(Prefix, StringComparison.Ordinal) ? message[Prefix.Length..] : message);
        });
        return result.Task;
    }
}

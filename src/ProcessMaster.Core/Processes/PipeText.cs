using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Reads a pipe to its end on an event loop (one read per wake-up, so a blocking descriptor never stalls
/// the loop), keeping at most a bound of what it says; the pipe is closed at the end.
/// </summary>
public static class PipeText
{
    /// <param name="maxBytes">What is kept; the rest is read and dropped.</param>
    /// <param name="cancel">Stops reading (a process that left the pipe to a child that never closes it), keeping what came.</param>
    public static unsafe Task<string> ReadAsync(EventLoop loop, SafeFileHandle pipe, int maxBytes, CancellationToken cancel = default)
    {
        var result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var kept = new MemoryStream();
        void Finish(EventLoop.Registration registration)
        {
            registration.Dispose();
            pipe.Dispose();
            result.TrySetResult(Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length));
        }

        var fd = (int)pipe.DangerousGetHandle();
        var registered = loop.Register(fd, Linux.EPOLLIN | Linux.EPOLLRDHUP, (_, registration) =>
        {
            if (result.Task.IsCompleted)
            {
                return;
            }

            var buffer = stackalloc byte[4096];
            var n = Libc.Read(fd, buffer, 4096);
            if (n > 0)
            {
                kept.Write(new ReadOnlySpan<byte>(buffer, (int)Math.Min(n, Math.Max(0, maxBytes - kept.Length))));
                return;
            }

            if (n < 0 && Marshal.GetLastPInvokeError() is Libc.EAGAIN or Libc.EINTR)
            {
                return;
            }

            Finish(registration); // end of file (every writer closed it), or an error
        });
        if (cancel.CanBeCanceled)
        {
            cancel.Register(() => loop.Post(() =>
            {
                if (!result.Task.IsCompleted)
                {
                    Finish(registered);
                }
            }));
        }

        return result.Task;
    }
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Core.Logs;

/// <summary>
/// Copies one output pipe of a child into a log file, byte for byte, on the event loop: spliced straight
/// into the file when possible, read and appended when a rotation may be due. The pipe is drained until
/// it would block; when the file cannot keep up the child blocks on its full pipe (back-pressure), nothing
/// is dropped.
/// </summary>
public sealed unsafe class OutputPump
{
    // Only the event loop thread reads pipes, so one buffer serves every pump.
    [ThreadStatic] private static byte[]? t_buffer;

    private const int SpliceChunk = 1024 * 1024;

    private readonly SafeFileHandle _pipe;
    private readonly LogFile? _file;
    private readonly Action _onClosed;

    private OutputPump(SafeFileHandle pipe, LogFile? file, Action onClosed)
    {
        _pipe = pipe;
        _file = file;
        _onClosed = onClosed;
    }

    /// <summary>Starts pumping <paramref name="pipe"/> into <paramref name="file"/> (or discarding when null).</summary>
    public static OutputPump Start(EventLoop loop, SafeFileHandle pipe, LogFile? file, Action onClosed)
    {
        var pump = new OutputPump(pipe, file, onClosed);
        loop.Register((int)pipe.DangerousGetHandle(), Linux.EPOLLIN | Linux.EPOLLRDHUP, pump.OnReadable);
        return pump;
    }

    private void OnReadable(uint events, EventLoop.Registration registration)
    {
        var fd = (int)_pipe.DangerousGetHandle();
        // Bounded per wake-up so one chatty service cannot starve the others.
        for (var round = 0; round < 16; round++)
        {
            switch (_file?.TrySplice(fd, SpliceChunk))
            {
                case LogFile.SpliceResult.Moved:
                    continue;
                case LogFile.SpliceResult.WouldBlock:
                    return;
                case LogFile.SpliceResult.EndOfFile:
                    Finish(registration);
                    return;
            }

            // Only where the output cannot be spliced (discarded, or a file that refuses splice): a daemon whose
            // logs all splice never holds this megabyte.
            var buffer = t_buffer ??= new byte[1024 * 1024];
            nint n;
            fixed (byte* p = buffer)
            {
                n = Libc.Read(fd, p, buffer.Length);
            }

            if (n > 0)
            {
                _file?.Append(buffer.AsSpan(0, (int)n));
                continue;
            }

            if (n < 0 && Marshal.GetLastPInvokeError() is Libc.EAGAIN or Libc.EINTR)
            {
                return;
            }

            Finish(registration); // end of file: every writer closed the pipe
            return;
        }
    }

    private void Finish(EventLoop.Registration registration)
    {
        registration.Dispose();
        _onClosed(); // while the descriptor is still ours: whoever else refers to it lets go first
        _pipe.Dispose();
    }
}

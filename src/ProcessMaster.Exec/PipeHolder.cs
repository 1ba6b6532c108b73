using System.Globalization;
using ProcessMaster.Shared;

namespace ProcessMaster.Exec;

/// <summary>
/// <c>processmaster-exec --hold FD</c>: keeps the read ends of the services' output pipes open while no
/// daemon does, so a service writing to stdout is never killed by SIGPIPE when the daemon dies, and the
/// next daemon gets the pipes back with whatever was written meanwhile. It never reads them. It serves
/// one daemon at a time on the listening socket FD (root peers only):
/// <c>hold KEY</c> (with the pipe attached), <c>drop KEY</c>, <c>list</c> (answered by one
/// <c>held KEY</c> per pipe, with the pipe attached, then <c>end PID</c>), and <c>quit</c>.
/// </summary>
internal static class PipeHolder
{
    public static int Run(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var listener))
        {
            Native.WriteAll(2, "usage: processmaster-exec --hold LISTENING-SOCKET-FD\n");
            return Shim.FailureExitCode;
        }

        Native.SetCloseOnExec(listener);
        var held = new Dictionary<string, int>(StringComparer.Ordinal);
        while (true)
        {
            var connection = FdSocket.Accept(listener);
            if (connection < 0)
            {
                Native.WriteAll(2, $"processmaster-exec --hold: accept failed: {Native.LastError()}\n");
                return 1;
            }

            if (FdSocket.TryGetPeer(connection, out var peer) && peer.Uid == 0 && Serve(connection, held))
            {
                return 0;
            }

            FdSocket.Close(connection);
        }
    }

    /// <summary>Serves one daemon until it quits (true) or goes away (false: the pipes stay held for the next).</summary>
    private static bool Serve(int connection, Dictionary<string, int> held)
    {
        while (true)
        {
            var (text, fd) = FdSocket.Receive(connection);
            if (text is null)
            {
                return false;
            }

            var space = text.IndexOf(' ');
            var (verb, key) = space < 0 ? (text, "") : (text[..space], text[(space + 1)..]);
            switch (verb)
            {
                case "hold" when fd >= 0 && key.Length > 0:
                    if (held.Remove(key, out var replaced))
                    {
                        FdSocket.Close(replaced);
                    }

                    held[key] = fd;
                    continue;
                case "drop":
                    if (held.Remove(key, out var dropped))
                    {
                        FdSocket.Close(dropped);
                    }

                    break;
                case "list":
                    foreach (var (name, pipe) in held)
                    {
                        if (!FdSocket.Send(connection, $"held {name}", pipe))
                        {
                            return false;
                        }
                    }

                    if (!FdSocket.Send(connection, $"end {Native.getpid()}"))
                    {
                        return false;
                    }

                    // Once per daemon start, and the holder's biggest piece of work (a message per pipe): what
                    // it left goes back to the system, so restarts of the daemon do not grow the holder.
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    break;
                case "quit":
                    return true;
            }

            if (fd >= 0)
            {
                FdSocket.Close(fd); // attached to a message that carries none
            }
        }
    }
}

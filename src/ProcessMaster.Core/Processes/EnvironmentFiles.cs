using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision.Ports;

namespace ProcessMaster.Core.Processes;

/// <summary>
/// Reads a service's <c>environment_file</c>s at each start. Such a file often lies in a directory the
/// service's user controls, so it is reached without following a link, must be a regular file with one
/// link owned by root or that user (a FIFO would block the daemon, a link could point at root's secrets),
/// and is read only up to <see cref="MaxBytes"/>.
/// </summary>
public static class EnvironmentFiles
{
    public const int MaxBytes = 256 * 1024;

    /// <exception cref="SpawnException">A required file is missing, or any file is refused, too large or malformed: the path is in the message.</exception>
    public static List<KeyValuePair<string, string>> Read(IReadOnlyList<EnvironmentFileSetting> files, FileOwners owners)
    {
        var variables = new List<KeyValuePair<string, string>>();
        foreach (var file in files)
        {
            string text;
            try
            {
                using var directory = SafeDirectory.OpenParent(file.Path, out var name);
                using var handle = directory.OpenForReading(name, owners);
                text = ReadBounded(handle, file.Path);
            }
            catch (IOException e) when (file.Optional && e.HResult == Libc.ENOENT)
            {
                continue;
            }
            catch (IOException e)
            {
                // The message names the file, or the component of its path that could not be reached.
                throw new SpawnException($"environment_file {file.Path}: {(e.Message.StartsWith(file.Path + ": ", StringComparison.Ordinal) ? e.Message[(file.Path.Length + 2)..] : e.Message)}");
            }

            try
            {
                variables.AddRange(DotenvText.Parse(text));
            }
            catch (FormatException e)
            {
                throw new SpawnException($"environment_file {file.Path}: {e.Message}");
            }
        }

        return variables;
    }

    private static string ReadBounded(SafeFileHandle handle, string path)
    {
        // Sized by the file, so a small file costs a small buffer; one byte more tells a file that grew.
        var size = RandomAccess.GetLength(handle);
        if (size > MaxBytes)
        {
            throw new IOException($"{path}: larger than {MaxBytes / 1024} KiB");
        }

        var buffer = new byte[size + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
        }

        if (length > size)
        {
            throw new IOException($"{path}: changed while it was read");
        }

        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(buffer, 0, length);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new IOException($"{path}: not valid UTF-8");
        }
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Provisioning;

/// <summary>
/// One-time root setup of a service's working directory, applied when definitions are loaded and
/// guarded by <c>.pm_provisioned</c>: paths are created, owned, given modes and the
/// <c>cap_net_bind_service</c> file capability. Symlinks are never followed. The marker is written
/// only when every entry succeeded.
/// </summary>
public sealed unsafe class Provisioner(IUserDatabase users, TimeProvider time)
{
    private const uint Unchanged = uint.MaxValue;
    private const int CapNetBindService = 10;

    /// <summary>Whether <paramref name="definition"/> has provisioning that has not been applied yet.</summary>
    public static bool IsPending(ServiceDefinition definition) =>
        definition.Provisioning.Count > 0 && PosixFile.LStat(definition.ProvisioningMarker) is null;

    /// <summary>Applies every entry; returns null on success, else what failed (the marker is then not written).</summary>
    public string? Apply(ServiceDefinition definition)
    {
        if (!IsPending(definition))
        {
            return null;
        }

        foreach (var step in definition.Provisioning)
        {
            try
            {
                ApplyStep(step);
            }
            catch (ProvisioningException e)
            {
                return $"provisioning {step.Path}: {e.Message}";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"provisioning {step.Path}: {e.Message}";
            }
        }

        return WriteMarker(definition.ProvisioningMarker);
    }

    private void ApplyStep(ProvisioningStep step)
    {
        var existing = PosixFile.LStat(step.Path);
        if (existing is { } st && (st.Mode & Libc.S_IFMT) == Libc.S_IFLNK)
        {
            throw new ProvisioningException("is a symbolic link; refusing to provision through it");
        }

        if (existing is null)
        {
            if (step.AddNetBindCapability)
            {
                throw new ProvisioningException("does not exist (add_net_bind_capability needs the executable)");
            }

            Directory.CreateDirectory(step.Path);
        }

        if (step.Owner is not null || step.Group is not null)
        {
            var uid = step.Owner is null ? Unchanged : (users.FindUser(step.Owner) ?? throw new ProvisioningException($"user '{step.Owner}' does not exist")).Uid;
            var gid = step.Group is null ? Unchanged : (users.FindGroup(step.Group) ?? throw new ProvisioningException($"group '{step.Group}' does not exist")).Gid;
            Chown(step.Path, uid, gid);
            if (step.Recursive && Directory.Exists(step.Path))
            {
                ChownTree(step.Path, uid, gid);
            }
        }

        if (step.Mode is { } mode)
        {
            Chmod(step.Path, mode);
        }

        if (step.AddNetBindCapability)
        {
            SetNetBindCapability(step.Path);
        }
    }

    private static void ChownTree(string directory, uint uid, uint gid)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
        {
            Chown(entry.FullName, uid, gid); // lchown: a symlink itself, never its target
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                ChownTree(entry.FullName, uid, gid);
            }
        }
    }

    private static void Chown(string path, uint uid, uint gid)
    {
        if (Libc.LChown(path, uid, gid) < 0)
        {
            throw new ProvisioningException($"chown failed: {Linux.LastErrorText()}");
        }
    }

    private static void Chmod(string path, int mode)
    {
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0);
        if (fd < 0)
        {
            throw new ProvisioningException($"cannot open to change its mode: {Linux.LastErrorText()}");
        }

        try
        {
            if (Libc.FChmod(fd, mode) < 0)
            {
                throw new ProvisioningException($"chmod {OctalMode.Format(mode)} failed: {Linux.LastErrorText()}");
            }
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>
    /// Writes the <c>security.capability</c> attribute (struct vfs_cap_data, revision 2) granting
    /// cap_net_bind_service as permitted and effective, as <c>setcap cap_net_bind_service=+ep</c> does.
    /// </summary>
    internal static void SetNetBindCapability(string path)
    {
        Span<uint> data = stackalloc uint[5];
        data[0] = 0x02000000 | 0x1; // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
        data[1] = 1u << CapNetBindService; // permitted, low word
        data[2] = 0; // inheritable, low word
        data[3] = 0; // permitted, high word
        data[4] = 0; // inheritable, high word
        fixed (uint* p = data)
        {
            if (Libc.LSetXattr(path, "security.capability", (byte*)p, 20, 0) < 0)
            {
                throw new ProvisioningException($"cannot set the cap_net_bind_service capability: {Linux.LastErrorText()}");
            }
        }
    }

    private string? WriteMarker(string marker)
    {
        var fd = Libc.Open(marker, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0x1A4);
        if (fd < 0)
        {
            return $"cannot write {marker}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}";
        }

        try
        {
            var text = System.Text.Encoding.ASCII.GetBytes(
                $"provisioned_at_ms={time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n");
            fixed (byte* p = text)
            {
                Libc.Write(fd, p, text.Length);
            }
        }
        finally
        {
            Libc.Close(fd);
        }

        return null;
    }

    private sealed class ProvisioningException(string message) : Exception(message);
}

using System.Globalization;
using Microsoft.Win32.SafeHandles;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Processes;

namespace ProcessMaster.Core.Provisioning;

/// <summary>
/// One-time root setup of a service's working directory, applied when definitions are loaded and
/// guarded by <c>.pm_provisioned</c>: paths are created, owned, given modes and the
/// <c>cap_net_bind_service</c> file capability. Symlinks are never followed, in any component. The marker is written
/// only when every entry succeeded.
/// </summary>
public sealed unsafe class Provisioner(IUserDatabase users, TimeProvider time)
{
    private const uint Unchanged = uint.MaxValue;
    private const int CapNetBindService = 10;

    private const int MaxTreeDepth = 256;

    /// <summary>Whether <paramref name="definition"/> has provisioning that has not been applied yet.</summary>
    public static bool IsPending(ServiceDefinition definition)
    {
        if (definition.Provisioning.Count == 0)
        {
            return false;
        }

        try
        {
            using var directory = SafeDirectory.OpenParent(definition.ProvisioningMarker, out var name);
            return directory.Stat(name) is null;
        }
        catch (IOException)
        {
            return true; // no working directory yet: provisioning may be what creates it
        }
    }

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
            catch (Exception e) when (e is ProvisioningException or IOException or UnauthorizedAccessException)
            {
                return $"provisioning {step.Path}: {e.Message}";
            }
        }

        return WriteMarker(definition.ProvisioningMarker);
    }

    /// <summary>
    /// One entry, through directory descriptors: the working directory belongs to the service's user, so no
    /// symlink is followed on the way to the path, at the path, or anywhere in a recursive walk.
    /// </summary>
    private void ApplyStep(ProvisioningStep step)
    {
        using var parent = SafeDirectory.OpenParent(step.Path, out var name, create: true);
        var existing = parent.Stat(name);
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

            parent.OpenDirectory(name, create: true).Dispose();
        }

        if (step.Owner is not null || step.Group is not null)
        {
            var uid = step.Owner is null ? Unchanged : (users.FindUser(step.Owner) ?? throw new ProvisioningException($"user '{step.Owner}' does not exist")).Uid;
            var gid = step.Group is null ? Unchanged : (users.FindGroup(step.Group) ?? throw new ProvisioningException($"group '{step.Group}' does not exist")).Gid;
            parent.ChangeOwner(name, uid, gid);
            if (step.Recursive && parent.Stat(name) is { } current && (current.Mode & Libc.S_IFMT) == Libc.S_IFDIR)
            {
                using var tree = parent.OpenDirectory(name);
                ChownTree(tree, uid, gid, 1);
            }
        }

        if (step.Mode is { } mode)
        {
            using var target = parent.OpenForAttributes(name);
            if (Libc.FChmod((int)target.DangerousGetHandle(), mode) < 0)
            {
                throw new ProvisioningException($"chmod {OctalMode.Format(mode)} failed: {Linux.LastErrorText()}");
            }
        }

        if (step.AddNetBindCapability)
        {
            using var target = parent.OpenForAttributes(name);
            if (SafeDirectory.StatFd((int)target.DangerousGetHandle()) is not { } file || (file.Mode & Libc.S_IFMT) != Libc.S_IFREG)
            {
                throw new ProvisioningException("is not a regular file (add_net_bind_capability needs the executable)");
            }

            SetNetBindCapability(target);
        }
    }

    private static void ChownTree(SafeDirectory directory, uint uid, uint gid, int depth)
    {
        if (depth > MaxTreeDepth)
        {
            throw new ProvisioningException($"{directory.Path}: deeper than {MaxTreeDepth} levels; not walking further");
        }

        foreach (var name in directory.Names())
        {
            directory.ChangeOwner(name, uid, gid); // a symlink itself, never its target
            if (directory.Stat(name) is { } st && (st.Mode & Libc.S_IFMT) == Libc.S_IFDIR)
            {
                using var child = directory.OpenDirectory(name);
                ChownTree(child, uid, gid, depth + 1);
            }
        }
    }

    /// <summary>
    /// Writes the <c>security.capability</c> attribute (struct vfs_cap_data, revision 2) granting
    /// cap_net_bind_service as permitted and effective, as <c>setcap cap_net_bind_service=+ep</c> does.
    /// </summary>
    private static void SetNetBindCapability(SafeFileHandle file)
    {
        Span<uint> data = stackalloc uint[5];
        data[0] = 0x02000000 | 0x1; // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
        data[1] = 1u << CapNetBindService; // permitted, low word
        data[2] = 0; // inheritable, low word
        data[3] = 0; // permitted, high word
        data[4] = 0; // inheritable, high word
        fixed (uint* p = data)
        {
            if (Libc.FSetXattr((int)file.DangerousGetHandle(), "security.capability", (byte*)p, 20, 0) < 0)
            {
                throw new ProvisioningException($"cannot set the cap_net_bind_service capability: {Linux.LastErrorText()}");
            }
        }
    }

    private string? WriteMarker(string marker)
    {
        try
        {
            using var directory = SafeDirectory.OpenParent(marker, out var name);
            using var file = directory.CreateNew(name, 0x1A4); // 0644
            RandomAccess.Write(file, System.Text.Encoding.ASCII.GetBytes(
                $"provisioned_at_ms={time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\n"), 0);
            return null;
        }
        catch (IOException e)
        {
            return $"cannot write {marker}: {e.Message}";
        }
    }

    private sealed class ProvisioningException(string message) : Exception(message);
}

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
/// only when every entry succeeded and the result was checked.
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

    /// <summary>
    /// Applies every entry in three passes, then checks the result: paths and ownership first (a recursive
    /// chown of a directory before the entries below it, so the nearer entry wins), then modes (a chown
    /// clears setuid and setgid bits), then capabilities (a chown drops a file's capability). Returns null
    /// on success, else what failed (the marker is then not written).
    /// </summary>
    public string? Apply(ServiceDefinition definition)
    {
        if (!IsPending(definition))
        {
            return null;
        }

        // Shallowest first, in the order written among equals (OrderBy is stable).
        var steps = definition.Provisioning.OrderBy(step => step.Path.Count(c => c == '/')).ToList();
        foreach (var pass in (ReadOnlySpan<Action<ProvisioningStep>>)[CreateAndOwn, SetMode, AddCapability, Verify])
        {
            foreach (var step in steps)
            {
                try
                {
                    pass(step);
                }
                catch (Exception e) when (e is ProvisioningException or IOException or UnauthorizedAccessException)
                {
                    return $"provisioning {step.Path}: {e.Message}";
                }
            }
        }

        return WriteMarker(definition.ProvisioningMarker);
    }

    /// <summary>
    /// Each pass works through directory descriptors: the working directory belongs to the service's user, so
    /// no symlink is followed on the way to the path, at the path, or anywhere in a recursive walk.
    /// </summary>
    private void CreateAndOwn(ProvisioningStep step)
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

        if (Ownership(step) is var (uid, gid) && (uid, gid) != (Unchanged, Unchanged))
        {
            parent.ChangeOwner(name, uid, gid);
            if (step.Recursive && parent.Stat(name) is { } current && (current.Mode & Libc.S_IFMT) == Libc.S_IFDIR)
            {
                using var tree = parent.OpenDirectory(name);
                ChownTree(tree, uid, gid, 1);
            }
        }
    }

    private (uint Uid, uint Gid) Ownership(ProvisioningStep step) => (
        step.Owner is null ? Unchanged : (users.FindUser(step.Owner) ?? throw new ProvisioningException($"user '{step.Owner}' does not exist")).Uid,
        step.Group is null ? Unchanged : (users.FindGroup(step.Group) ?? throw new ProvisioningException($"group '{step.Group}' does not exist")).Gid);

    private static void SetMode(ProvisioningStep step)
    {
        if (step.Mode is not { } mode)
        {
            return;
        }

        using var parent = SafeDirectory.OpenParent(step.Path, out var name);
        using var target = parent.OpenForAttributes(name);
        if (Libc.FChmod((int)target.DangerousGetHandle(), mode) < 0)
        {
            throw new ProvisioningException($"chmod {OctalMode.Format(mode)} failed: {Linux.LastErrorText()}");
        }
    }

    private static void AddCapability(ProvisioningStep step)
    {
        if (!step.AddNetBindCapability)
        {
            return;
        }

        using var parent = SafeDirectory.OpenParent(step.Path, out var name);
        using var target = parent.OpenForAttributes(name);
        if (SafeDirectory.StatFd((int)target.DangerousGetHandle()) is not { } file || (file.Mode & Libc.S_IFMT) != Libc.S_IFREG)
        {
            throw new ProvisioningException("is not a regular file (add_net_bind_capability needs the executable)");
        }

        SetNetBindCapability(target);
    }

    /// <summary>What every entry asked for is what the path has now, whatever a later pass did to it.</summary>
    private void Verify(ProvisioningStep step)
    {
        using var parent = SafeDirectory.OpenParent(step.Path, out var name);
        using var target = parent.OpenForAttributes(name);
        var st = SafeDirectory.StatFd((int)target.DangerousGetHandle()) ?? throw new ProvisioningException("vanished while it was provisioned");
        var (uid, gid) = Ownership(step);
        if ((uid != Unchanged && st.Uid != uid) || (gid != Unchanged && st.Gid != gid))
        {
            throw new ProvisioningException($"is owned by {st.Uid}:{st.Gid} after provisioning, not by what was asked for");
        }

        if (step.Mode is { } mode && (st.Mode & 0xFFF) != mode)
        {
            throw new ProvisioningException($"has mode {OctalMode.Format(st.Mode & 0xFFF)} after provisioning, not {OctalMode.Format(mode)}");
        }

        if (step.AddNetBindCapability && !HasNetBindCapability(target))
        {
            throw new ProvisioningException("lost its cap_net_bind_service capability during provisioning");
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

    private static bool HasNetBindCapability(SafeFileHandle file)
    {
        Span<uint> data = stackalloc uint[6];
        fixed (uint* p = data)
        {
            var size = Libc.FGetXattr((int)file.DangerousGetHandle(), "security.capability", (byte*)p, 24);
            return size >= 8 && (data[1] & (1u << CapNetBindService)) != 0;
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

using System.Runtime.InteropServices;

namespace ProcessMaster.Shared;

/// <summary>The kernel's <c>struct iovec</c> for sendmsg/recvmsg (x86-64 and arm64 layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nint Length;
}

/// <summary>The kernel's <c>struct msghdr</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public int NameLength;
    public IoVec* Iov;
    public nint IovLength;
    public void* Control;
    public nint ControlLength;
    public int Flags;
}

/// <summary>The kernel's <c>struct cmsghdr</c>: the header of one piece of ancillary data (SCM_RIGHTS, SCM_CREDENTIALS).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CmsgHdr
{
    public nint Length;
    public int Level;
    public int Type;
}

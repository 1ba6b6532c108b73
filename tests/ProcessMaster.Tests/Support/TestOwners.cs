using ProcessMaster.Core.Files;
using ProcessMaster.Core.Interop;

namespace ProcessMaster.Tests.Support;

/// <summary>The unit tests may run as any user: the files they make are owned by it.</summary>
internal static class TestOwners
{
    public static FileOwners Current { get; } = new(Libc.GetEuid());
}

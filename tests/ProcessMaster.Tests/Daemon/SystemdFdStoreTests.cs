using ProcessMaster.Core.Processes.Holder;
using ProcessMaster.Core.Supervision.Ports;
using ProcessMaster.Daemon.Systemd;

namespace ProcessMaster.Tests.Daemon;

public class SystemdFdStoreTests
{
    [Theory]
    [InlineData("web", 4242, ProcessRole.Main, false)]
    [InlineData("a.b-c_d", 1, ProcessRole.StopCommand, true)]
    [InlineData("x234567890123456789012345678901234567890123456789012345678901234", 4194304, ProcessRole.Main, true)]
    public void APipeKey_IsAValidDescriptorName_ThatReadsBackAsTheSameKey(string app, int pid, ProcessRole role, bool stderr)
    {
        var key = new HeldPipeKey(app, pid, role, stderr);
        var name = SystemdFdStore.NameOf(key);

        // sd_pid_notify_with_fds(3): at most 255 characters, no control character and no ':' (LISTEN_FDNAMES separates with it).
        Assert.InRange(name.Length, 1, 255);
        Assert.DoesNotContain(name, c => c <= ' ' || c == ':' || c >= 127);
        Assert.Equal(key, SystemdFdStore.KeyOf(name));
    }

    [Theory]
    [InlineData("stored")]
    [InlineData("main.stdout/notapid/web")]
    [InlineData("")]
    public void ADescriptorNamedOtherwise_IsNoPipeOfOurs(string name) => Assert.Null(SystemdFdStore.KeyOf(name));
}

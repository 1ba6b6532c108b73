using ProcessMaster.Core.Events;
using ProcessMaster.Core.Interop;
using ProcessMaster.Core.Supervision;

namespace ProcessMaster.Tests.Events;

/// <summary>The sentences operators read, rendered from the values in one place: these are what <c>pmctl events</c> shows.</summary>
public class EventTextTests
{
    public static TheoryData<Event, string, string> Samples => new()
    {
        { new StateChanged(ServiceState.Running, ServiceState.Backoff, CauseKind.Crash, "ended (exit code 1); restarting in 1s (1 of 3 restarts used in the window)", 7, ExitStatus.Exited(1)),
            "state", "RUNNING -> BACKOFF: ended (exit code 1); restarting in 1s (1 of 3 restarts used in the window)" },
        { new StateChanged(ServiceState.Stopped, ServiceState.Stopped, Cause.Operator("root"), "stopped by operator"), "state", "stopped by operator" },
        { new OperatorAction("root via pmctl", "start", "web", "--force --no-deps"), "operator", "start web --force --no-deps by root via pmctl" },
        { new OperatorAction("alice via web 10.0.0.1", "enable", Effect: "set global.enabled=true in /etc/pm/web.yml"), "operator",
            "enable by alice via web 10.0.0.1: set global.enabled=true in /etc/pm/web.yml" },
        { new StopProgress(StopStep.CommandFailed, Exit: ExitStatus.Exited(2), SignalFollows: 15), "stop", "stop_command failed (exit code 2); sending SIGTERM" },
        { new StopProgress(StopStep.GraceStarted, Grace: TimeSpan.FromSeconds(10)), "stop", "waiting up to 10s before cgroup.kill" },
        { new SignalSent(15, 3), "stop", "sent SIGTERM to 3 process(es)" },
        { new ProbeChanged(ProbeKind.Liveness, ProbeVerdict.LivenessFailed, "tcp 127.0.0.1:80", 3, "refused"), "health",
            "liveness probe (tcp 127.0.0.1:80) failed 3 time(s) in a row: refused; restarting it" },
        { new Repeated(new NotifyHeard(NotifyKind.Stopping), 4), "notify", "the service says it is stopping (STOPPING=1) (repeated 4 more time(s))" },
        { new DefinitionRejected("/etc/pm/web.yml", 4, 1, "bogus_key", "unknown key"), "config", "not loaded: /etc/pm/web.yml:4:1: bogus_key: unknown key" },
        { new TransitionFailed("CgroupChanged", ServiceState.Running, "boom", 1, TimeSpan.FromSeconds(1), true), "supervisor",
            "handling CgroupChanged in RUNNING failed: boom; nothing was changed; it is handled again in 1 s (attempt 1 of 3)" },
        { new AdminActionEvent(AdminStep.KillAll, null, "root via pmctl", Count: 2), "admin_action", "kill all (pids_before=2) by root via pmctl" },
        { new Notice("holder", "the pipe holder (pid 9) ended"), "holder", "the pipe holder (pid 9) ended" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void EachKind_IsShownUnderItsComponent_AsItsSentence(Event e, string component, string text)
    {
        Assert.Equal(component, e.Component);
        Assert.Equal(text, e.Render());
    }

    [Fact]
    public void AControlCharacterInADefinitionsError_CannotForgeALine()
    {
        Assert.Equal("not loaded: a.yml:1:1: k?ey: bad?[31m", new DefinitionRejected("a.yml", 1, 1, "k\ney", "bad\u001b[31m").Render());
    }
}

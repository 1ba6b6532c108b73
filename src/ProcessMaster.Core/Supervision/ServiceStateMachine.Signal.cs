namespace ProcessMaster.Core.Supervision;

/// <summary><c>pmctl signal</c>: an operator's signal to the service's processes, outside any stop.</summary>
public sealed partial class ServiceStateMachine
{
    /// <summary>An operator's signal: to what runs now, whatever the state; refused when nothing does.</summary>
    private void OnSignal(SignalRequest request)
    {
        if (!HasProcesses)
        {
            Complete(request.Waiter, OperationOutcome.Failure($"not running ({_s.State.Name()}): no process to signal", OutcomeCode.Refused));
        }
        else if (!request.MainOnly)
        {
            Effect(new SignalAll(request.Signal, request.Waiter));
        }
        else if (_s.Run is { MainAlive: true, MainPid: { } main })
        {
            Effect(new SignalMain(main, request.Signal, request.Waiter));
        }
        else
        {
            Complete(request.Waiter, OperationOutcome.Failure(
                "its main process has ended; other processes run in its cgroup (signal them without --main)", OutcomeCode.Refused));
        }
    }
}

namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>Which services an operator stopped, kept across daemon restarts.</summary>
public interface IOperatorStops
{
    bool IsStoppedByOperator(string app);

    Task SetStoppedByOperatorAsync(string app, bool stopped);

    /// <summary>Forgets every service not in <paramref name="apps"/>.</summary>
    Task RetainAsync(IEnumerable<string> apps);
}

using ProcessMaster.Core.Configuration;

namespace ProcessMaster.Core.Supervision.Ports;

/// <summary>What one run of a probe found: whether it passed, and what it said (quoted in events).</summary>
public sealed record ProbeOutcome(bool Passed, string Detail);

/// <summary>Runs a service's readiness and liveness checks: a command in its cgroup, an HTTP GET, a TCP connect.</summary>
public interface IProbes
{
    /// <summary>Runs <paramref name="probe"/> for the service within its timeout; never throws (a failure is an outcome that says why).</summary>
    /// <param name="kind">Which of the service's probes it is: an exec check of each kind runs in a group of its own.</param>
    Task<ProbeOutcome> RunAsync(ProbeKind kind, ProbeSettings probe, ServiceDefinition definition, IServiceCgroup cgroup);
}

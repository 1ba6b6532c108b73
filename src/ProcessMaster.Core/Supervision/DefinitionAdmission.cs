using ProcessMaster.Core.Cgroups;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Core.Provisioning;

namespace ProcessMaster.Core.Supervision;

/// <summary>A definition that was loaded but cannot run on this host.</summary>
public sealed record RejectedDefinition(string Name, string Reason);

/// <summary>
/// The last step of loading: provisioning is applied, then each definition must have an existing
/// working directory and limits this host can apply. Whatever fails is rejected with its reason.
/// </summary>
public sealed class DefinitionAdmission(CgroupLayout layout, Provisioner provisioner)
{
    public (List<ServiceDefinition> Accepted, List<RejectedDefinition> Rejected) ProvisionAndAdmit(IEnumerable<ServiceDefinition> definitions)
    {
        var accepted = new List<ServiceDefinition>();
        var rejected = new List<RejectedDefinition>();
        foreach (var definition in definitions)
        {
            var reason = provisioner.Apply(definition)
                         ?? (Directory.Exists(definition.WorkingDirectory) ? null : $"working_directory {definition.WorkingDirectory} does not exist")
                         ?? layout.UnsupportedLimits(definition.Resources).FirstOrDefault();
            if (reason is null)
            {
                accepted.Add(definition);
            }
            else
            {
                rejected.Add(new RejectedDefinition(definition.Name, reason));
            }
        }

        return (accepted, rejected);
    }
}

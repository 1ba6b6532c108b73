using ProcessMaster.Core.Configuration.Values;
using ProcessMaster.Core.Configuration;
using ProcessMaster.Tests.Support;

namespace ProcessMaster.Tests.Configuration;

public class MasterConfigParserTests
{
    private static (MasterConfig? Config, IReadOnlyList<ConfigError> Errors) Parse(string yaml)
    {
        var errors = new ConfigErrorCollector();
        var config = MasterConfigParser.Parse("/etc/pm/config.yaml", yaml, FakeUserDatabase.Instance, errors);
        return (config, errors.Errors);
    }

    [Fact]
    public void Parse_MinimalConfig_TakesEveryDefault()
    {
        var (config, errors) = Parse("global:\n  config_directory: ./config.d\n");
        Assert.Empty(errors);
        Assert.NotNull(config);
        Assert.Equal("/sys/fs/cgroup", config.Cgroup.Root);
        Assert.True(config.Cgroup.RootIsDefault);
        Assert.True(Parse("cgroup:\n  root: /sys/fs/cgroup/\nglobal:\n  config_directory: ./config.d\n").Config!.Cgroup.RootIsDefault);
        Assert.False(Parse("cgroup:\n  root: /sys/fs/cgroup/unified\nglobal:\n  config_directory: ./config.d\n").Config!.Cgroup.RootIsDefault);
        Assert.Equal("processmaster", config.Cgroup.Name);
        Assert.Null(config.Cgroup.MemoryMax);
        Assert.Equal(CpuMax.Unlimited, config.Cgroup.CpuMax);
        Assert.Equal("/run/processmaster/processmaster.sock", config.UnixSocket.Path);
        Assert.Equal("root", config.UnixSocket.Owner);
        Assert.Equal(0x180, config.UnixSocket.Mode);
        Assert.Equal("/etc/pm/config.d", config.Global.ConfigDirectory);
        Assert.Null(config.Global.AutoServiceDirectory);
        Assert.Equal("root", config.Global.DefaultServiceUser);
        Assert.False(config.WebConsole.Enabled);
        Assert.Equal(System.Net.IPAddress.Any, config.WebConsole.Bind);
        Assert.Equal(9001, config.WebConsole.Port);
        Assert.True(config.WebConsole.UsesGeneratedPassword);
        Assert.Empty(config.WebConsole.Users);
        Assert.Empty(config.AdminActions);
    }

    [Fact]
    public void Parse_FullConfig_BindsEverySection()
    {
        var (config, errors) = Parse("""
            cgroup:
              root: /sys/fs/cgroup/unified
              name: /pm/test
              memory_max: 1GiB
              memory_swap_max: 0
              cpu_max: "50000 100000"
              pids_max: 4096
              subtree_control_allow: false
            unix_socket:
              path: run/pm.sock
              owner: nobody
              group: nogroup
              mode: 660
            global:
              config_directory: /srv/pm/config.d
              auto_service_directory: services
              default_service_user: app
              default_service_group: app
            web_console:
              enabled: true
              bind: 127.0.0.1
              port: 9100
              allow_plaintext_remote: true
              tls:
                enabled: true
                server_cert_pem: tls/cert.pem
                server_key_pem: tls/key.pem
              auth:
                basic:
                  users:
                    - "ops:$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
            admin_actions:
              update-pm:
                label: Update
                command: ["/bin/sh", "-c", "true"]
              b-action:
                command: ["/bin/true"]
            """);
        Assert.Empty(errors);
        Assert.NotNull(config);
        Assert.Equal("/sys/fs/cgroup/unified", config.Cgroup.Root);
        Assert.Equal("pm/test", config.Cgroup.Name);
        Assert.Equal(1L << 30, config.Cgroup.MemoryMax);
        Assert.Equal(0L, config.Cgroup.MemorySwapMax);
        Assert.Equal(new CpuMax(50_000, 100_000), config.Cgroup.CpuMax);
        Assert.Equal(4096L, config.Cgroup.PidsMax);
        Assert.False(config.Cgroup.SubtreeControlAllow);
        Assert.Equal("/etc/pm/run/pm.sock", config.UnixSocket.Path);
        Assert.Equal(0x1B0, config.UnixSocket.Mode);
        Assert.Equal("/etc/pm/services", config.Global.AutoServiceDirectory);
        Assert.Equal("/etc/pm/tls/cert.pem", config.WebConsole.Tls.ServerCertPem);
        Assert.False(config.WebConsole.UsesGeneratedPassword);
        Assert.Equal(["b-action", "update-pm"], config.AdminActions.Select(a => a.Id));
        Assert.Equal("b-action", config.AdminActions[0].Label);
        Assert.Equal("Update", config.AdminActions[1].Label);
    }

    [Theory]
    [InlineData("660")]
    [InlineData("\"660\"")]
    [InlineData("\"0660\"")]
    [InlineData("0o660")]
    public void Parse_SocketMode_EverySpellingIsOctal(string mode)
    {
        var (config, errors) = Parse($"unix_socket:\n  mode: {mode}\nglobal:\n  config_directory: x\n");
        Assert.Empty(errors);
        Assert.Equal(0x1B0, config!.UnixSocket.Mode);
    }

    [Fact]
    public void Parse_UnknownKey_NamesFileLineColumnKeyAndSuggestion()
    {
        var (config, errors) = Parse("global:\n  config_directory: x\n  confg_directory: y\n");
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal("/etc/pm/config.yaml:3:3: global.confg_directory: unknown key; did you mean 'config_directory'?", error.ToString());
    }

    [Fact]
    public void Parse_UnknownTopLevelKey_ListsValidKeysWhenNothingIsClose()
    {
        var (_, errors) = Parse("global:\n  config_directory: x\nzzzzzzzz: 1\n");
        var error = Assert.Single(errors);
        Assert.Equal(3, error.Line);
        Assert.Contains("valid keys here: admin_actions, cgroup, global, metrics, unix_socket, web_console", error.Message);
    }

    [Fact]
    public void Parse_MissingGlobal_IsAnError()
    {
        var (config, errors) = Parse("cgroup:\n  name: x\n");
        Assert.Null(config);
        Assert.Contains(errors, e => e.Message.Contains("missing required section 'global'"));
    }

    [Fact]
    public void Parse_GlobalWithoutDirectories_IsAnError()
    {
        var (_, errors) = Parse("global:\n  default_service_user: root\n");
        Assert.Contains(errors, e => e.Message.Contains("config_directory and/or auto_service_directory"));
    }

    [Fact]
    public void Parse_CollectsEveryErrorInOnePass()
    {
        var (config, errors) = Parse("""
            cgroup:
              name: ../escape
              memory_max: lots
            unix_socket:
              mode: 999
              owner: ghost
            global:
              config_directory: x
            web_console:
              bind: example.com
              port: 70000
            """);
        Assert.Null(config);
        Assert.Equal(
            ["cgroup.name", "cgroup.memory_max", "unix_socket.owner", "unix_socket.mode", "web_console.bind", "web_console.port"],
            errors.Select(e => e.Key ?? "").ToArray());
    }

    [Fact]
    public void Parse_SyntaxError_ReportsPosition()
    {
        var (config, errors) = Parse("global:\n  config_directory: [unclosed\n");
        Assert.Null(config);
        var error = Assert.Single(errors);
        Assert.Equal("/etc/pm/config.yaml", error.File);
        Assert.True(error.Line >= 2);
    }

    [Theory]
    [InlineData("[]", "the list is empty")]
    [InlineData("[\"nocolon\"]", "is not \"user:bcrypt-hash\"")]
    [InlineData("[\"ops:plaintext\"]", "is not \"user:bcrypt-hash\"")]
    public void Parse_BadWebUsers_AreErrors(string users, string expected)
    {
        var (_, errors) = Parse($"global:\n  config_directory: x\nweb_console:\n  auth:\n    basic:\n      users: {users}\n");
        Assert.Contains(errors, e => e.Key == "web_console.auth.basic.users" && e.Message.Contains(expected));
    }

    [Fact]
    public void Parse_AdminActions_IdsAreUniqueCaseInsensitivelyAndNeedCommands()
    {
        var (_, errors) = Parse("""
            global:
              config_directory: x
            admin_actions:
              Deploy:
                command: ["/bin/true"]
              deploy:
                command: []
              other:
                label: ""
                command: ["/bin/true"]
            """);
        Assert.Contains(errors, e => e.Key == "admin_actions.deploy" && e.Message.Contains("duplicate admin action id"));
        Assert.Contains(errors, e => e.Key == "admin_actions.deploy.command");
        Assert.Contains(errors, e => e.Key == "admin_actions.other.label");
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1")]
    [InlineData("0.0.0.0")]
    public void Parse_Bind_AcceptsIpLiterals(string bind)
    {
        var (_, errors) = Parse($"global:\n  config_directory: x\nweb_console:\n  bind: \"{bind}\"\n");
        Assert.Empty(errors);
    }
}

using ProcessMaster.Exec;

// processmaster-exec: joins the service's cgroups, starts a new session, drops privileges, resets
// signals and executes the service in place, so the pid the daemon spawned is the service's pid and
// nothing the service forks can ever run outside its cgroup.
return Shim.Run(args);

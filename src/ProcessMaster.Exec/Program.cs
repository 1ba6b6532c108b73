using ProcessMaster.Exec;

// processmaster-exec: joins the service's cgroups, starts a new session, drops privileges, resets
// signals and executes the service in place, so the pid the daemon spawned is the service's pid and
// nothing the service forks can ever run outside its cgroup. With --hold it is the pipe holder instead.
return args is ["--hold", ..] ? PipeHolder.Run(args) : Shim.Run(args);

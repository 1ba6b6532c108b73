using ProcessMaster.Daemon;

return DaemonCommandLine.Run(args);

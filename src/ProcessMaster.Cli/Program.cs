using ProcessMaster.Cli;

return await PmctlCommandLine.RunAsync(args);

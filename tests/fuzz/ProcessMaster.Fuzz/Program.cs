using ProcessMaster.Fuzz;
using SharpFuzz;

// processmaster's fuzzing targets, run under afl-fuzz by tests/fuzz/run.sh:
//   yaml   a service definition, a master config and `pmctl enable` on the same bytes
//   rpc    one request line through the JSON-RPC dispatcher, as a socket client and as the web console
//   http   a request head as the console and the metrics listener read it
//   replay FILE...   runs saved inputs (crashes found earlier) through every target, outside afl
switch (args.FirstOrDefault())
{
    case "yaml":
        Fuzzer.OutOfProcess.Run(stream => Targets.Yaml(Targets.ReadAll(stream)));
        return 0;
    case "rpc":
        Fuzzer.OutOfProcess.Run(stream => Targets.Rpc(Targets.ReadAll(stream)));
        return 0;
    case "http":
        Fuzzer.OutOfProcess.Run(stream => Targets.Http(Targets.ReadAll(stream)));
        return 0;
    case "replay":
        foreach (var file in args.Skip(1))
        {
            var input = File.ReadAllBytes(file);
            Targets.Yaml(input);
            Targets.Rpc(input);
            Targets.Http(input);
        }

        Console.WriteLine($"replayed {args.Length - 1} input(s) without a failure");
        return 0;
    default:
        Console.Error.WriteLine("usage: ProcessMaster.Fuzz yaml|rpc|http|replay FILE...");
        return 2;
}

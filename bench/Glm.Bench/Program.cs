using System.Diagnostics;
using System.Globalization;
using Glm.Bench;

// The llama.cpp worker of `glm bench`: loads one GGUF file, prints "ready", then answers one line per command on
// stdin (see LlamaCppWorker). Arguments: MODEL THREADS CONTEXT BATCH.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Glm.Bench MODEL.gguf THREADS CONTEXT BATCH (started by `glm bench --vs llama.cpp`)");
    return 2;
}
int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);
LlamaCppWorker worker;
try
{
    worker = new LlamaCppWorker(args[0], Int(args[1]), Int(args[2]), Int(args[3]));
}
catch (Exception e)
{
    Console.Error.WriteLine($"error: llama.cpp could not load {args[0]}: {e.Message}");
    return 1;
}
using (worker)
{
    Console.WriteLine("ready");
    while (Console.ReadLine() is { } line)
    {
        string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) continue;
        var clock = Stopwatch.StartNew();
        switch (parts[0])
        {
            case "prompt": worker.Prompt(parts[1].Split(',').Select(Int).ToArray()); break;
            case "decode": worker.Decode(parts[1].Split(',').Select(Int).ToArray()); break;
            default:
                Console.Error.WriteLine($"error: unknown command '{parts[0]}'");
                return 2;
        }
        Console.WriteLine(clock.Elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
    }
}
return 0;

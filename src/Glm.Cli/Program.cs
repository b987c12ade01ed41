using System.CommandLine;
using Glm.Cli.Commands;

var root = new RootCommand("glm: train, evaluate and run GLM language models (blank infilling, ChatGLM, GLM-4).")
{
    TokenizerCommand.Create(),
    TrainCommand.Create(),
    DataCommand.Create(),
    EvalCommand.Create(),
    InfillCommand.Create(),
    GenerateCommand.Create(),
    LogitsCommand.Create(),
    ConvertCommand.Create(),
    ExportCommand.Create(),
    ConvertCommand.CreateQuantize(),
    KeysCommand.Create(),
    UsageCommand.Create(),
    ChatCommand.Create(),
    BenchCommand.Create(),
    ServeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();

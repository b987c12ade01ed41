using System.CommandLine;
using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;

namespace Glm.Cli.Commands;

/// <summary><c>glm export</c>: a trained run folder to a clean Hugging Face folder in F32, F16 or BF16.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var input = new Option<DirectoryInfo>("--input") { Description = "A model folder, e.g. the --out of glm train", Required = true };
        var output = new Option<DirectoryInfo>("--output") { Description = "Folder to write: config.json, generation_config.json, tokenizer.json, training_args.json, model.safetensors", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "Storage of the matrices: f32, f16 or bf16 (norms and biases stay f32)", DefaultValueFactory = _ => "bf16" };
        dtype.AcceptOnlyFromAmong("f32", "f16", "bf16");
        var command = new Command("export", "Copy a trained model into a clean, smaller Hugging Face folder (no checkpoint, matrices in f16/bf16)")
        {
            input, output, dtype,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var source = parse.GetValue(input)!;
            if (!source.Exists) throw new GlmException($"--input {source.FullName} does not exist");
            var type = parse.GetValue(dtype) switch { "f32" => DType.F32, "f16" => DType.F16, _ => DType.BF16 };
            var target = parse.GetValue(output)!.FullName;
            HfExport.Export(source.FullName, target, type);
            long bytes = new FileInfo(Path.Combine(target, "model.safetensors")).Length;
            Console.WriteLine($"wrote {target}: model.safetensors {bytes / 1e6:0.00} MB ({type})");
            return 0;
        }));
        return command;
    }
}

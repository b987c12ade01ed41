using System.CommandLine;
using System.Globalization;
using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Cli.Commands;

/// <summary>
/// <c>glm convert</c> (Hugging Face folder &lt;-&gt; chatglm .gguf) and <c>glm quantize</c> (.gguf -> quantized .gguf).
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "A Hugging Face model folder, or a chatglm .gguf file", Required = true };
        var output = new Option<string>("--output") { Description = "A .gguf file (HF folder -> GGUF) or a folder to write config.json + model.safetensors (GGUF -> HF)", Required = true };
        var type = new Option<string?>("--type") { Description = "HF -> GGUF only: matrix storage type f32, f16 or bf16 (default: as stored)" };

        var command = new Command("convert", "Convert a ChatGLM2/3 / GLM-4 model between a Hugging Face folder and a llama.cpp .gguf file") { input, output, type };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string from = parse.GetValue(input)!, to = parse.GetValue(output)!;
            string? typeText = parse.GetValue(type);
            if (to.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                if (!Directory.Exists(from)) throw new GlmException($"model folder {from} does not exist");
                GgufConvert.HfToGguf(from, to, typeText is null ? null : FloatType(typeText));
                Console.WriteLine(Describe(to));
            }
            else
            {
                if (typeText is not null) throw new GlmException("--type applies to HF folder -> .gguf only; GGUF -> HF keeps each tensor's type");
                if (!File.Exists(from)) throw new GlmException($"GGUF file {from} does not exist");
                GgufConvert.GgufToHf(from, to);
                long bytes = Directory.GetFiles(to).Sum(f => new FileInfo(f).Length);
                using var file = GgufFile.Open(from);
                Console.WriteLine($"wrote {Path.GetFullPath(to)}: {Megabytes(bytes)} MB, {file.Tensors.Count} tensors");
            }
            return 0;
        }));
        return command;
    }

    public static Command CreateQuantize()
    {
        var input = new Option<string>("--input") { Description = "The .gguf file to quantize (F32, F16 or BF16 matrices)", Required = true };
        var output = new Option<string>("--output") { Description = "The quantized .gguf file to write", Required = true };
        var type = new Option<string>("--type") { Description = "Quantization type: q8_0, q4_0 or q6_k", Required = true };

        var command = new Command("quantize", "Quantize a .gguf file's weight matrices as llama.cpp's quantize does (norms and biases stay as they are)") { input, output, type };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string from = parse.GetValue(input)!, to = parse.GetValue(output)!;
            GgmlType target = QuantType(parse.GetValue(type)!);
            GgufQuantize.Quantize(from, to, target);
            Console.WriteLine(Describe(to));
            return 0;
        }));
        return command;
    }

    private static string Describe(string ggufPath)
    {
        using var file = GgufFile.Open(ggufPath);
        return $"wrote {Path.GetFullPath(ggufPath)}: {Megabytes(file.FileLength)} MB, {file.Tensors.Count} tensors";
    }

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.00", CultureInfo.InvariantCulture);

    private static GgmlType FloatType(string text) => text.ToLowerInvariant() switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        _ => throw new GlmException($"--type '{text}' is not one of f32, f16, bf16"),
    };

    private static GgmlType QuantType(string text) => text.ToLowerInvariant() switch
    {
        "q8_0" => GgmlType.Q8_0,
        "q4_0" => GgmlType.Q4_0,
        "q6_k" => GgmlType.Q6_K,
        _ => throw new GlmException($"--type '{text}' is not one of q8_0, q4_0, q6_k"),
    };
}

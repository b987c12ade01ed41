using Glm.Checkpoints.Safetensors;
using Glm.Core;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>
/// Copies a model folder (e.g. a <c>glm train</c> run) into a clean, shippable Hugging Face folder: config.json,
/// generation_config.json, tokenizer.json and training_args.json when present, and model.safetensors with every
/// floating-point tensor stored as <c>dtype</c> (F32, F16 or BF16; one-dimensional tensors such as norms stay F32).
/// The run's checkpoint, metrics and pictures are left behind. Files are written atomically.
/// </summary>
public static class HfExport
{
    private static readonly string[] CopiedFiles =
        [HfFolder.ConfigFileName, HfFolder.GenerationConfigFileName, HfFolder.TokenizerJsonFileName, "training_args.json"];

    public static void Export(string sourceFolder, string targetFolder, DType dtype)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16))
            throw new GlmException($"export stores F32, F16 or BF16, not {dtype}");
        string weights = Path.Combine(sourceFolder, "model.safetensors");
        if (!File.Exists(weights)) throw new GlmException($"{sourceFolder} has no model.safetensors to export");
        if (!File.Exists(Path.Combine(sourceFolder, HfFolder.ConfigFileName))) throw new GlmException($"{sourceFolder} has no config.json");
        if (Path.GetFullPath(sourceFolder) == Path.GetFullPath(targetFolder)) throw new GlmException("export needs a target folder other than the source");
        Directory.CreateDirectory(targetFolder);

        var writer = new SafetensorsWriter();
        writer.SetMetadata("format", "pt");
        using (var file = SafetensorsFile.Open(weights))
        {
            foreach (var (name, info) in file.Tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                if (!DTypes.IsFloat32Convertible(info.DType)) throw new GlmException($"{weights}: tensor {name} is {info.DType}, which export cannot convert");
                var stored = info.Shape.Length >= 2 ? dtype : DType.F32;
                writer.Add(name, stored, info.Shape, file.ReadFloat32(name));
            }
        }
        writer.Write(Path.Combine(targetFolder, "model.safetensors"));
        foreach (string name in CopiedFiles)
        {
            string source = Path.Combine(sourceFolder, name);
            if (File.Exists(source)) AtomicFile.WriteAllBytes(Path.Combine(targetFolder, name), File.ReadAllBytes(source));
        }
    }
}

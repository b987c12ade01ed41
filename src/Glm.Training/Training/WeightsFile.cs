using Glm.Checkpoints;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Training.Models;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>Moves a model's weights to and from a safetensors file under their Hugging Face names.</summary>
public static class WeightsFile
{
    /// <summary>Writes every weight (atomically) as <paramref name="dtype"/>; F32 keeps them bit-exact.</summary>
    public static void Save(IGlmLanguageModel model, string path, DType dtype = DType.F32)
    {
        var writer = new SafetensorsWriter();
        writer.SetMetadata("format", "pt");
        foreach (var (name, value) in model.NamedWeights())
        {
            using var cpu = value.detach().cpu().contiguous();
            writer.Add(name, dtype, cpu.shape, cpu.data<float>().ToArray());
        }
        writer.Write(path);
    }

    /// <summary>Overwrites the model's weights from <paramref name="path"/>; a missing or mis-shaped tensor is a GlmException.</summary>
    public static void Load(IGlmLanguageModel model, string path)
    {
        using var file = SafetensorsFile.Open(path);
        model.LoadWeights(name =>
        {
            if (!file.Tensors.TryGetValue(name, out var info))
                throw new GlmException($"{path} has no tensor {name}");
            return (info.Shape, file.ReadFloat32(name));
        });
    }
}

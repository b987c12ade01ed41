using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;

namespace Glm.Checkpoints.Tests.HuggingFace;

public sealed class HfExportTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("glm-export-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Export_stores_matrices_in_bf16_keeps_vectors_f32_and_copies_the_folder_files()
    {
        string run = Path.Combine(_root, "run");
        Directory.CreateDirectory(Path.Combine(run, "checkpoint"));
        var matrix = Enumerable.Range(0, 12).Select(i => i * 0.1f - 0.5f).ToArray();
        new SafetensorsWriter()
            .Add("w", DType.F32, [3, 4], matrix)
            .Add("norm", DType.F32, [4], [1.0001f, 2, 3, 4])
            .Write(Path.Combine(run, "model.safetensors"));
        File.WriteAllText(Path.Combine(run, "config.json"), "{}");
        File.WriteAllText(Path.Combine(run, "tokenizer.json"), "{\"tok\": 1}");
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{}");

        string target = Path.Combine(_root, "shipped");
        HfExport.Export(run, target, DType.BF16);

        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json"], Directory.GetFiles(target).Select(Path.GetFileName).Order());
        Assert.False(Directory.Exists(Path.Combine(target, "checkpoint")));
        using var file = SafetensorsFile.Open(Path.Combine(target, "model.safetensors"));
        Assert.Equal(DType.BF16, file.Tensors["w"].DType);
        Assert.Equal(DType.F32, file.Tensors["norm"].DType);
        Assert.Equal([1.0001f, 2, 3, 4], file.ReadFloat32("norm"));
        var back = file.ReadFloat32("w");
        for (int i = 0; i < matrix.Length; i++) Assert.InRange(back[i] - matrix[i], -4e-3f, 4e-3f); // bf16: 8 mantissa bits
        Assert.Equal("{\"tok\": 1}", File.ReadAllText(Path.Combine(target, "tokenizer.json")));
    }

    [Fact]
    public void Export_of_a_folder_without_weights_names_it()
    {
        var e = Assert.Throws<GlmException>(() => HfExport.Export(_root, Path.Combine(_root, "out"), DType.F16));
        Assert.Contains("has no model.safetensors", e.Message);
    }
}

using System.Text.Json.Nodes;
using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Inference.Loading;
using Glm.Kernels.Quant;
using Glm.LlamaCpp.Tests;

namespace Glm.Inference.Tests;

public sealed class LoadingTests
{
    [Fact]
    public void Hf_and_gguf_weights_are_used_in_place_and_match()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(1, seed: 61);
        string gguf = Path.Combine(checkpoint.Folder, "m.gguf");
        GgufConvert.HfToGguf(checkpoint.Folder, gguf, GgmlType.F32, "tiny");
        using var hf = GlmModelFile.Open(checkpoint.Folder);
        using var g = GlmModelFile.Open(gguf);
        Assert.False(hf.IsGguf);
        Assert.True(g.IsGguf);
        Assert.Equal(hf.Config.HiddenSize, g.Config.HiddenSize);
        Assert.Equal(hf.Config.RopeBase, g.Config.RopeBase, 6);
        var a = new float[hf.Config.HiddenSize];
        var b = new float[hf.Config.HiddenSize];
        hf.Weights.Layers[1].GateUp.ReadRow(7, a);
        g.Weights.Layers[1].GateUp.ReadRow(7, b);
        Assert.Equal(a, b);
        Assert.Equal(checkpoint.Tokenizer.VocabSize, hf.LoadTokenizer().VocabSize);
        Assert.Equal(checkpoint.Tokenizer.VocabSize, g.LoadTokenizer().VocabSize); // tokenizer.json beside the file
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(1, seed: 62);
        const string dropped = "transformer.encoder.layers.1.mlp.dense_4h_to_h.weight";
        RewriteWeights(checkpoint.Folder, (name, shape, data, writer) =>
        {
            if (name != dropped) writer(name, shape, data);
        });
        var e = Assert.Throws<GlmException>(() => GlmModelFile.Open(checkpoint.Folder));
        Assert.Contains(dropped, e.Message);
    }

    [Fact]
    public void Wrong_shape_is_named()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(1, seed: 63);
        string path = Path.Combine(checkpoint.Folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        config["ffn_hidden_size"] = 128;
        File.WriteAllText(path, config.ToJsonString());
        var e = Assert.Throws<GlmException>(() => GlmModelFile.Open(checkpoint.Folder));
        Assert.Contains("dense_h_to_4h.weight", e.Message);
        Assert.Contains("[192, 64]", e.Message);
    }

    [Fact]
    public void Unknown_architecture_and_missing_files_are_reported()
    {
        using var checkpoint = TinyChatGlmCheckpoint.Create(1, seed: 64);
        string gguf = Path.Combine(checkpoint.Folder, "llama.gguf");
        var writer = new GgufWriter();
        writer.SetString("general.architecture", "llama");
        writer.AddFloat32("token_embd.weight", GgmlType.F32, [2, 2], [1, 2, 3, 4]);
        writer.Write(gguf);
        var e = Assert.Throws<GlmException>(() => GlmModelFile.Open(gguf));
        Assert.Contains("'llama'", e.Message);
        Assert.Throws<GlmException>(() => GlmModelFile.Open(Path.Combine(checkpoint.Folder, "nope.gguf")));
    }

    /// <summary>Rewrites model.safetensors through <paramref name="filter"/> (F32 tensors).</summary>
    private static void RewriteWeights(string folder, Action<string, long[], float[], Action<string, long[], float[]>> filter)
    {
        string path = Path.Combine(folder, "model.safetensors");
        var tensors = new List<(string, long[], float[])>();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var (name, info) in file.Tensors) filter(name, info.Shape, file.ReadFloat32(name), (n, s, d) => tensors.Add((n, s, d)));
        }
        var writer = new SafetensorsWriter();
        foreach (var (name, shape, data) in tensors) writer.Add(name, DType.F32, shape, data);
        writer.Write(path);
    }
}

using Glm.Checkpoints.Safetensors;
using Glm.Core;

namespace Glm.Checkpoints.Tests.Safetensors;

public class SafetensorsModelTests
{
    private const string Embedding = "transformer.embedding.word_embeddings.weight";
    private const string Norm = "transformer.encoder.final_layernorm.weight";
    private const string Output = "transformer.output_layer.weight";

    /// <summary>Two shards and an index, laid out as save_pretrained shards a checkpoint.</summary>
    private static void WriteSharded(TempFolder temp, string? extraMapping = null)
    {
        new SafetensorsWriter().Add(Embedding, DType.BF16, [2, 2], [1f, 2f, 3f, 4f]).Write(temp.File("model-00001-of-00002.safetensors"));
        new SafetensorsWriter()
            .Add(Norm, DType.F32, [2], [0.5f, 0.25f])
            .Add(Output, DType.F16, [2, 2], [-1f, -2f, -3f, -4f])
            .Write(temp.File("model-00002-of-00002.safetensors"));
        File.WriteAllText(temp.File(SafetensorsModel.IndexFileName), $$"""
            {
              "metadata": {"total_size": 32},
              "weight_map": {
                "{{Embedding}}": "model-00001-of-00002.safetensors",
                "{{Norm}}": "model-00002-of-00002.safetensors",
                {{extraMapping}}
                "{{Output}}": "model-00002-of-00002.safetensors"
              }
            }
            """);
    }

    [Fact]
    public void Sharded_LooksTensorsUpAcrossShards()
    {
        using var temp = new TempFolder();
        WriteSharded(temp);
        foreach (var path in new[] { temp.Path, temp.File(SafetensorsModel.IndexFileName) })
        {
            using var model = SafetensorsModel.Open(path);
            Assert.Equal(2, model.Files.Count);
            Assert.Equal(3, model.Tensors.Count);
            Assert.Equal([1f, 2f, 3f, 4f], model.ReadFloat32(Embedding));
            Assert.Equal([0.5f, 0.25f], model.ReadFloat32(Norm));
            Assert.Equal([-1f, -2f, -3f, -4f], model.ReadFloat32(Output));
            Assert.EndsWith("model-00002-of-00002.safetensors", model.FileOf(Output).Path);
            Assert.Equal(DType.F16, model.GetInfo(Output).DType);
            Assert.Equal(8, model.GetBytes(Output).Length);
            Assert.True(model.Contains(Norm));
            Assert.False(model.Contains("lm_head.weight"));
            var error = Assert.Throws<GlmException>(() => model.ReadFloat32("lm_head.weight"));
            Assert.Contains("'lm_head.weight'", error.Message);
        }
    }

    [Fact]
    public void Sharded_TensorMissingFromItsShard_NamesTensorAndShard()
    {
        using var temp = new TempFolder();
        WriteSharded(temp, "\"ghost.weight\": \"model-00001-of-00002.safetensors\",");
        var error = Assert.Throws<GlmException>(() => SafetensorsModel.Open(temp.Path));
        Assert.Contains("'ghost.weight'", error.Message);
        Assert.Contains("model-00001-of-00002.safetensors", error.Message);
    }

    [Fact]
    public void Sharded_MissingShardFile_NamesIt()
    {
        using var temp = new TempFolder();
        WriteSharded(temp, "\"extra.weight\": \"model-00003-of-00003.safetensors\",");
        var error = Assert.Throws<GlmException>(() => SafetensorsModel.Open(temp.Path));
        Assert.Contains("model-00003-of-00003.safetensors", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Theory]
    [InlineData("\"x.weight\": \"../outside.safetensors\",")]
    [InlineData("\"x.weight\": 3,")]
    public void Sharded_ShardNameMustBeAPlainFileName(string mapping)
    {
        using var temp = new TempFolder();
        WriteSharded(temp, mapping);
        var error = Assert.Throws<GlmException>(() => SafetensorsModel.Open(temp.Path));
        Assert.Contains("'x.weight'", error.Message);
    }

    [Fact]
    public void Sharded_IndexWithoutWeightMap_IsRejected()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File(SafetensorsModel.IndexFileName), "{\"metadata\": {}}");
        var error = Assert.Throws<GlmException>(() => SafetensorsModel.Open(temp.Path));
        Assert.Contains("weight_map", error.Message);
    }

    [Fact]
    public void Folder_PrefersTheSingleFile()
    {
        using var temp = new TempFolder();
        WriteSharded(temp);
        new SafetensorsWriter().Add("only", DType.F32, [1], [7f]).Write(temp.File(SafetensorsModel.SingleFileName));
        using var model = SafetensorsModel.Open(temp.Path);
        Assert.Single(model.Files);
        Assert.Equal([7f], model.ReadFloat32("only"));
        Assert.Equal(temp.File(SafetensorsModel.SingleFileName), model.Source);
    }

    [Fact]
    public void Folder_WithoutWeights_SaysWhatIsMissing()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<GlmException>(() => SafetensorsModel.Open(temp.Path));
        Assert.Contains($"model folder {temp.Path} has no model.safetensors", error.Message);

        File.WriteAllBytes(temp.File("pytorch_model.bin"), [0]);
        error = Assert.Throws<GlmException>(() => SafetensorsModel.Open(temp.Path));
        Assert.Contains("convert them to safetensors", error.Message);
    }

    [Fact]
    public void Dispose_ClosesEveryShard()
    {
        using var temp = new TempFolder();
        WriteSharded(temp);
        var model = SafetensorsModel.Open(temp.Path);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.ReadFloat32(Embedding));
        Assert.Throws<ObjectDisposedException>(() => model.ReadFloat32(Output));
    }
}

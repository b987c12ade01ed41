using Glm.Checkpoints.HuggingFace;
using Glm.Core.Configs;
using Glm.Inference.Models;
using Glm.Kernels.Threading;
using Glm.LlamaCpp.Tests;
using Glm.Training.Models;
using Glm.Training.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Glm.Inference.Tests;

/// <summary>
/// The original GLM: our engine on a checkpoint folder as <c>glm train --family glm</c> writes it (config.json with
/// model_type "glm" + model.safetensors) computes the logits of the TorchSharp <c>GlmModel</c> holding the same weights,
/// on a blank-infilling sequence (Part A bidirectional with a [MASK], Part B causal with 2-D positions), both in one
/// prefill and by decoding Part B token by token through the KV cache.
/// </summary>
public sealed class GlmTorchParityTests(ITestOutputHelper output)
{
    /// <summary>F32 on both sides; only summation order (and LayerNorm / GeLU rounding) differs. Logits are of order 1.</summary>
    private const float F32Tolerance = 1e-4f;

    // Part A: 10 tokens with a [MASK] (id 3) at index 4; Part B: <sop> (id 1) and 4 tokens of the span.
    private static readonly int[] Tokens = [17, 25, 9, 40, 3, 11, 52, 8, 30, 44, 1, 21, 5, 60, 33];
    private static readonly int[] Positions = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 4, 4, 4, 4, 4];
    private static readonly int[] BlockPositions = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5];
    private const int PartA = 10;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Glm_folder_logits_match_the_torch_model_in_both_parts(bool blockPositionEncoding)
    {
        var config = new GlmConfig
        {
            VocabSize = 64, HiddenSize = 64, NumLayers = 2, NumAttentionHeads = 4, MaxSequenceLength = 32,
            BlockPositionEncoding = blockPositionEncoding,
        }.Validate();
        string folder = Path.Combine(Path.GetTempPath(), $"glm-paper-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            float[][] expected;
            using (var torchModel = GlmModels.Create(config, seed: 91))
            {
                Randomize(torchModel, seed: 91);
                torchModel.eval();
                ModelConfigFile.Write(folder, config);
                WeightsFile.Save(torchModel, Path.Combine(folder, "model.safetensors"));
                expected = TorchLogits(torchModel, config.VocabSize);
            }

            using var file = Loading.GlmModelFile.Open(folder);
            Assert.Equal("glm", file.Architecture);
            using var pool = new WorkerPool(2);
            var model = new OriginalGlm(file.GlmWeights!, pool, batchSize: 16);

            var flat = new float[Tokens.Length * config.VocabSize];
            model.Forward(Tokens, Positions, BlockPositions, PartA, flat);
            float[][] prefill = [.. Enumerable.Range(0, Tokens.Length).Select(t => flat.AsSpan(t * config.VocabSize, config.VocabSize).ToArray())];

            // Part A and <sop> in one call, then the span one token at a time.
            model.Reset();
            var steps = new List<float[]> { model.Prefill(Tokens.AsSpan(0, PartA + 1), Positions.AsSpan(0, PartA + 1), BlockPositions.AsSpan(0, PartA + 1), PartA).ToArray() };
            for (int t = PartA + 1; t < Tokens.Length; t++) steps.Add(model.Decode(Tokens[t], Positions[t], BlockPositions[t]).ToArray());

            var (prefillDiff, agree) = Logits.Compare(expected, prefill);
            var (stepDiff, _) = Logits.Compare(expected[PartA..], [.. steps]);
            output.WriteLine($"block positions {blockPositionEncoding}: prefill max |diff| {prefillDiff:E2}, Part B decode max |diff| {stepDiff:E2}; argmax agrees at {agree}/{Tokens.Length}");
            Assert.True(prefillDiff < F32Tolerance, $"prefill max |diff| {prefillDiff} >= {F32Tolerance}");
            Assert.True(stepDiff < F32Tolerance, $"decode max |diff| {stepDiff} >= {F32Tolerance}");
            Assert.Equal(Tokens.Length, agree);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Part_a_attends_both_ways_and_part_b_does_not_see_ahead()
    {
        var config = new GlmConfig { VocabSize = 64, HiddenSize = 32, NumLayers = 1, NumAttentionHeads = 2, MaxSequenceLength = 32 }.Validate();
        string folder = Path.Combine(Path.GetTempPath(), $"glm-paper-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using (var torchModel = GlmModels.Create(config, seed: 92))
            {
                Randomize(torchModel, seed: 92);
                ModelConfigFile.Write(folder, config);
                WeightsFile.Save(torchModel, Path.Combine(folder, "model.safetensors"));
            }
            using var file = Loading.GlmModelFile.Open(folder);
            using var pool = new WorkerPool(1);
            var model = new OriginalGlm(file.GlmWeights!, pool);
            float[] Row(int[] tokens, int row)
            {
                model.Reset();
                var flat = new float[tokens.Length * config.VocabSize];
                model.Forward(tokens, Positions, BlockPositions, PartA, flat);
                return flat.AsSpan(row * config.VocabSize, config.VocabSize).ToArray();
            }
            int[] changedLastOfPartA = [.. Tokens];
            changedLastOfPartA[PartA - 1] = 2;
            int[] changedLastOfPartB = [.. Tokens];
            changedLastOfPartB[^1] = 2;
            // Token 0 of Part A sees the last Part A token; the first span token does not see the last one.
            Assert.NotEqual(Row(Tokens, 0), Row(changedLastOfPartA, 0));
            Assert.Equal(Row(Tokens, PartA), Row(changedLastOfPartB, PartA));
            Assert.Throws<ArgumentException>(() => model.Forward(Tokens, Positions.AsSpan(1), BlockPositions, PartA, new float[Tokens.Length * config.VocabSize]));
            Assert.Throws<Glm.Core.GlmException>(() => file.CreateModel(pool));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static float[][] TorchLogits(IGlmLanguageModel model, int vocab)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int T = Tokens.Length;
        Tensor Row(int[] values) => tensor(values.Select(v => (long)v).ToArray(), int64).reshape(1, T);
        var logits = model.Logits(Row(Tokens), Row(Positions), Row(BlockPositions), tensor(new long[] { PartA }, int64)); // (1, T, V)
        float[] flat = logits.contiguous().data<float>().ToArray();
        return [.. Enumerable.Range(0, T).Select(t => flat.AsSpan(t * vocab, vocab).ToArray())];
    }

    /// <summary>Embeddings U(±1), matrices U(±√(3/fan_in)), norm weights 1 ± 0.3, biases ± 0.3: every part matters.</summary>
    private static void Randomize(IGlmLanguageModel model, int seed)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, (long[] Shape, float[] Data)>();
        foreach (var (name, value) in model.NamedWeights())
        {
            long[] shape = value.shape;
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            Func<double> draw = name switch
            {
                _ when name.EndsWith("layernorm.weight", StringComparison.Ordinal) => () => 1 + 0.3 * (2 * random.NextDouble() - 1),
                _ when name.EndsWith(".bias", StringComparison.Ordinal) => () => 0.3 * (2 * random.NextDouble() - 1),
                _ when name.Contains("embeddings", StringComparison.Ordinal) => () => 2 * random.NextDouble() - 1,
                _ => () => Math.Sqrt(3.0 / shape[1]) * (2 * random.NextDouble() - 1),
            };
            for (int i = 0; i < data.Length; i++) data[i] = (float)draw();
            weights[name] = (shape, data);
        }
        model.LoadWeights(name => weights[name]);
    }
}

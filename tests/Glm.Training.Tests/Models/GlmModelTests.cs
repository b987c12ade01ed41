using Glm.Core;
using Glm.Training.Models;
using Glm.Training.Tests.Reference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Glm.Training.Tests.Models;

public class GlmModelTests(ITestOutputHelper output)
{
    /// <summary>
    /// fp32 TorchSharp against the fp64 scalar reference on the tiny config; logits are of order 1 to 10, float32
    /// rounding stays near 1e-6, and a wrong mask, position table or GeLU moves them by more than 1e-2.
    /// </summary>
    private const double LogitTolerance = 1e-4;

    /// <summary>A logit that must not depend on a change: exact in practice, since masked keys weigh exactly 0.</summary>
    private const double UnaffectedTolerance = 1e-6;

    private const int T = 10;
    private const long Mask = 3, Sop = 4; // ids standing in for [MASK] and <|startofpiece|>

    // Row 0 is glm-spec 1.4's worked example: Part A "x1 x2 [M] x4 [M]" (5 tokens), Part B "[S] x5 x6 [S] x3".
    // Row 1 is a generation sample: Part A "[CLS] x1 [gMASK]" (3 tokens), Part B "[S] y1 .. y6" at the mask position.
    private static readonly long[][] Ids =
    [
        [11, 12, Mask, 14, Mask, Sop, 15, 16, Sop, 13],
        [5, 21, Mask, Sop, 22, 23, 24, 25, 26, 27],
    ];
    private static readonly long[][] Positions =
    [
        [1, 2, 3, 4, 5, 5, 5, 5, 3, 3],
        [0, 1, 2, 2, 2, 2, 2, 2, 2, 2],
    ];
    private static readonly long[][] BlockPositions =
    [
        [0, 0, 0, 0, 0, 1, 2, 3, 1, 2],
        [0, 0, 0, 1, 2, 3, 4, 5, 6, 7],
    ];
    private static readonly long[] PartALength = [5, 3];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Logits_match_the_scalar_reference(bool blockPositionEncoding)
    {
        var config = TinyModels.Glm(blockPositionEncoding);
        using var model = GlmModels.Create(config, seed: 1);
        var weights = TinyModels.RandomWeights(model, seed: 7);
        model.LoadWeights(name => weights[name]);

        var actual = Logits(model, Ids);
        var expected = GlmReference.Logits(config, TinyModels.Values(weights), Ids, Positions, BlockPositions, PartALength);

        double error = TinyModels.MaxAbsDiff(actual, expected);
        output.WriteLine($"max |torch - reference| = {error:E2}");
        Assert.True(error <= LogitTolerance, $"max abs error {error:E2} exceeds {LogitTolerance:E0}");
    }

    [Fact]
    public void Part_A_never_sees_Part_B_and_Part_B_is_causal()
    {
        using var model = TrainedLooking();
        var baseline = Logits(model, Ids);
        for (int b = 0; b < Ids.Length; b++) {
            for (long t = PartALength[b]; t < T; t++) {
                var logits = Logits(model, WithChangedToken(b, (int)t));
                for (int s = 0; s < T; s++) {
                    double diff = TinyModels.MaxAbsDiff(baseline[b][s], logits[b][s]);
                    if (s < t)
                        Assert.True(diff <= UnaffectedTolerance, $"row {b}: Part B token {t} moved the logits at {s} by {diff:E2}");
                    else
                        Assert.True(diff > 1e-3, $"row {b}: Part B token {t} left the logits at {s} unchanged");
                }
            }
        }
    }

    [Fact]
    public void Part_A_is_bidirectional()
    {
        using var model = TrainedLooking();
        var baseline = Logits(model, Ids);
        for (int b = 0; b < Ids.Length; b++) {
            // The last Part A token changes every Part A logit before it, and every Part B logit.
            var logits = Logits(model, WithChangedToken(b, (int)PartALength[b] - 1));
            for (int s = 0; s < T; s++)
                Assert.True(TinyModels.MaxAbsDiff(baseline[b][s], logits[b][s]) > 1e-3, $"row {b}: logits at {s} did not move");
        }
    }

    [Fact]
    public void Named_weights_follow_the_hugging_face_table()
    {
        using var model = GlmModels.Create(TinyModels.Glm(), seed: 1);
        // THUDM/glm names with C = 32, V = 29, max_sequence_length + 1 = 17 position rows, ffn = 4·32.
        var expected = new List<(string, long[])>
        {
            ("glm.word_embeddings.weight", [29, 32]),
            ("glm.transformer.position_embeddings.weight", [17, 32]),
            ("glm.transformer.block_position_embeddings.weight", [17, 32]),
        };
        for (int i = 0; i < 2; i++) {
            var p = $"glm.transformer.layers.{i}.";
            expected.Add((p + "input_layernorm.weight", [32]));
            expected.Add((p + "input_layernorm.bias", [32]));
            expected.Add((p + "attention.query_key_value.weight", [96, 32]));
            expected.Add((p + "attention.query_key_value.bias", [96]));
            expected.Add((p + "attention.dense.weight", [32, 32]));
            expected.Add((p + "attention.dense.bias", [32]));
            expected.Add((p + "post_attention_layernorm.weight", [32]));
            expected.Add((p + "post_attention_layernorm.bias", [32]));
            expected.Add((p + "mlp.dense_h_to_4h.weight", [128, 32]));
            expected.Add((p + "mlp.dense_h_to_4h.bias", [128]));
            expected.Add((p + "mlp.dense_4h_to_h.weight", [32, 128]));
            expected.Add((p + "mlp.dense_4h_to_h.bias", [32]));
        }
        expected.Add(("glm.transformer.final_layernorm.weight", [32]));
        expected.Add(("glm.transformer.final_layernorm.bias", [32]));

        var actual = model.NamedWeights().Select(w => (w.Name, w.Value.shape)).ToList();
        Assert.Equal(expected.Select(e => e.Item1), actual.Select(a => a.Name));
        Assert.Equal(expected.Select(e => string.Join("x", e.Item2)), actual.Select(a => string.Join("x", a.shape)));
        Assert.Equal(expected.Sum(e => e.Item2.Aggregate(1L, (a, b) => a * b)), model.ParameterCount);
    }

    [Fact]
    public void Without_block_positions_there_is_no_block_table()
    {
        using var model = GlmModels.Create(TinyModels.Glm(blockPositionEncoding: false), seed: 1);
        Assert.DoesNotContain(model.NamedWeights(), w => w.Name.Contains("block_position"));
    }

    [Fact]
    public void Loading_a_mis_shaped_tensor_names_it_and_both_shapes()
    {
        using var model = GlmModels.Create(TinyModels.Glm(), seed: 1);
        var weights = TinyModels.RandomWeights(model, seed: 7);
        const string name = "glm.transformer.position_embeddings.weight";
        weights[name] = ([16, 32], new float[16 * 32]);

        var error = Assert.Throws<GlmException>(() => model.LoadWeights(n => weights[n]));
        Assert.Contains(name, error.Message);
        Assert.Contains("[16, 32]", error.Message);
        Assert.Contains("[17, 32]", error.Message);
    }

    // Random weights well away from the 0.02 init, so that a dependence shows as a large change.
    private static IGlmLanguageModel TrainedLooking()
    {
        var model = GlmModels.Create(TinyModels.Glm(), seed: 1);
        var weights = TinyModels.RandomWeights(model, seed: 7);
        model.LoadWeights(name => weights[name]);
        return model;
    }

    private static long[][] WithChangedToken(int row, int t)
    {
        var ids = Ids.Select(r => r.ToArray()).ToArray();
        ids[row][t] = (ids[row][t] + 1) % 29;
        return ids;
    }

    private static float[][][] Logits(IGlmLanguageModel model, long[][] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return TinyModels.ToArray(model.Logits(TinyModels.Int64(ids), TinyModels.Int64(Positions),
            TinyModels.Int64(BlockPositions), tensor(PartALength)));
    }
}

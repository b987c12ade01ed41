using Glm.Core;
using Glm.Training.Models;
using Glm.Training.Tests.Reference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Glm.Training.Tests.Models;

public class ChatGlmModelTests(ITestOutputHelper output)
{
    /// <summary>
    /// fp32 TorchSharp against the fp64 scalar reference on the tiny config. Logits are of order 1 to 10 there, and
    /// float32 rounding through two layers stays near 1e-6; every mistake tried by hand (rope base, NeoX pairing,
    /// GQA mapping, gate/up order, a missing bias) moves them by more than 1e-2.
    /// </summary>
    private const double LogitTolerance = 1e-4;

    /// <summary>A logit that must not depend on a change: exact in practice, since masked keys weigh exactly 0.</summary>
    private const double UnaffectedTolerance = 1e-6;

    private const int B = 2, T = 7;

    // Row 0 starts at position 0; row 1 is a later window (positions 20..26) so the rotation angles are large.
    private static readonly long[][] Positions =
        [[0, 1, 2, 3, 4, 5, 6], [20, 21, 22, 23, 24, 25, 26]];

    [Theory]
    [InlineData(false, true, true)]   // ChatGLM3 / GLM-4 layout: GQA, qkv bias, untied output layer
    [InlineData(true, false, true)]   // tied output head, no qkv bias
    [InlineData(false, true, false)]  // multi_query_attention off: one KV head per query head
    public void Logits_match_the_scalar_reference(bool tie, bool qkvBias, bool multiQuery)
    {
        var config = TinyModels.ChatGlm(tie, qkvBias, multiQuery);
        using var model = GlmModels.Create(config, seed: 1);
        var weights = TinyModels.RandomWeights(model, seed: 7);
        model.LoadWeights(name => weights[name]);
        var ids = TinyModels.RandomIds(seed: 3, B, T, config.PaddedVocabSize);

        var actual = Logits(model, ids);
        var expected = ChatGlmReference.Logits(config, TinyModels.Values(weights), ids, Positions);

        double error = TinyModels.MaxAbsDiff(actual, expected);
        output.WriteLine($"max |torch - reference| = {error:E2}");
        Assert.True(error <= LogitTolerance, $"max abs error {error:E2} exceeds {LogitTolerance:E0}");
    }

    [Fact]
    public void A_token_changes_only_its_own_and_later_logits()
    {
        var config = TinyModels.ChatGlm();
        using var model = GlmModels.Create(config, seed: 1);
        var weights = TinyModels.RandomWeights(model, seed: 7);
        model.LoadWeights(name => weights[name]);
        var ids = TinyModels.RandomIds(seed: 3, B, T, config.PaddedVocabSize);
        var baseline = Logits(model, ids);

        for (int t = 0; t < T; t++) {
            var changed = ids.Select(row => row.ToArray()).ToArray();
            changed[0][t] = (changed[0][t] + 1) % config.PaddedVocabSize;
            var logits = Logits(model, changed);
            for (int s = 0; s < T; s++) {
                double diff = TinyModels.MaxAbsDiff(baseline[0][s], logits[0][s]);
                if (s < t)
                    Assert.True(diff <= UnaffectedTolerance, $"changing token {t} moved the logits at {s} by {diff:E2}");
                else
                    Assert.True(diff > 1e-3, $"changing token {t} left the logits at {s} unchanged");
                Assert.True(TinyModels.MaxAbsDiff(baseline[1][s], logits[1][s]) <= UnaffectedTolerance, "the other row moved");
            }
        }
    }

    [Fact]
    public void Block_positions_and_Part_A_lengths_are_ignored()
    {
        using var model = GlmModels.Create(TinyModels.ChatGlm(), seed: 1);
        var ids = TinyModels.Int64(TinyModels.RandomIds(seed: 3, B, T, 37));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var plain = model.Logits(ids, TinyModels.Int64(Positions), zeros(B, T, int64), zeros(B, int64));
        var other = model.Logits(ids, TinyModels.Int64(Positions), ones(B, T, int64), full(B, T, int64));
        Assert.True(plain.eq(other).all().item<bool>());
    }

    [Fact]
    public void Named_weights_follow_the_hugging_face_table()
    {
        using var model = GlmModels.Create(TinyModels.ChatGlm(), seed: 1);
        // glm-spec 2.5 with C = 64, H·D = 4·16, Hkv·D = 2·16, ffn = 48, V = 37.
        var expected = new List<(string, long[])> { ("transformer.embedding.word_embeddings.weight", [37, 64]) };
        for (int i = 0; i < 2; i++) {
            var p = $"transformer.encoder.layers.{i}.";
            expected.Add((p + "input_layernorm.weight", [64]));
            expected.Add((p + "self_attention.query_key_value.weight", [64 + 32 + 32, 64]));
            expected.Add((p + "self_attention.query_key_value.bias", [64 + 32 + 32]));
            expected.Add((p + "self_attention.dense.weight", [64, 64]));
            expected.Add((p + "post_attention_layernorm.weight", [64]));
            expected.Add((p + "mlp.dense_h_to_4h.weight", [2 * 48, 64]));
            expected.Add((p + "mlp.dense_4h_to_h.weight", [64, 48]));
        }
        expected.Add(("transformer.encoder.final_layernorm.weight", [64]));
        expected.Add(("transformer.output_layer.weight", [37, 64]));

        var actual = model.NamedWeights().Select(w => (w.Name, w.Value.shape)).ToList();
        Assert.Equal(expected.Select(e => e.Item1), actual.Select(a => a.Name));
        Assert.Equal(expected.Select(e => string.Join("x", e.Item2)), actual.Select(a => string.Join("x", a.shape)));
        Assert.Equal(expected.Sum(e => e.Item2.Aggregate(1L, (a, b) => a * b)), model.ParameterCount);
    }

    [Fact]
    public void Tied_and_bias_free_configs_drop_those_tensors()
    {
        using var model = GlmModels.Create(TinyModels.ChatGlm(tieWordEmbeddings: true, addQkvBias: false), seed: 1);
        var names = model.NamedWeights().Select(w => w.Name).ToList();
        Assert.DoesNotContain("transformer.output_layer.weight", names);
        Assert.DoesNotContain(names, n => n.EndsWith(".bias"));
        Assert.Equal(1 + 2 * 6 + 1, names.Count);
    }

    [Fact]
    public void Loading_a_mis_shaped_tensor_names_it_and_both_shapes()
    {
        using var model = GlmModels.Create(TinyModels.ChatGlm(), seed: 1);
        var weights = TinyModels.RandomWeights(model, seed: 7);
        const string name = "transformer.encoder.layers.1.mlp.dense_4h_to_h.weight";
        weights[name] = ([48, 64], weights[name].Data);

        var error = Assert.Throws<GlmException>(() => model.LoadWeights(n => weights[n]));
        Assert.Contains(name, error.Message);
        Assert.Contains("[48, 64]", error.Message);
        Assert.Contains("[64, 48]", error.Message);
    }

    [Theory]
    [InlineData("add_bias_linear")]
    [InlineData("apply_residual_connection_post_layernorm")]
    [InlineData("post_layer_norm")]
    public void Unsupported_switches_are_refused_by_name(string field)
    {
        var config = field switch
        {
            "add_bias_linear" => TinyModels.ChatGlm() with { AddBiasLinear = true },
            "apply_residual_connection_post_layernorm" => TinyModels.ChatGlm() with { ApplyResidualConnectionPostLayernorm = true },
            _ => TinyModels.ChatGlm() with { PostLayerNorm = false },
        };
        var error = Assert.Throws<GlmException>(() => GlmModels.Create(config, seed: 1));
        Assert.Contains(field, error.Message);
    }

    private static float[][][] Logits(IGlmLanguageModel model, long[][] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var unused = zeros(B, T, int64);
        return TinyModels.ToArray(model.Logits(TinyModels.Int64(ids), TinyModels.Int64(Positions), unused, zeros(B, int64)));
    }
}

using Glm.Core;
using Glm.Core.Configs;
using Glm.Training.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Glm.Training.Tests.Models;

public class GlmModelsTests(ITestOutputHelper output)
{
    public static TheoryData<string> Families => ["glm", "chatglm"];

    private static object Config(string family) => family == "glm" ? TinyModels.Glm() : TinyModels.ChatGlm();

    [Fact]
    public void Create_picks_the_model_for_the_config()
    {
        using var glm = GlmModels.Create(TinyModels.Glm(), seed: 1);
        using var chatGlm = GlmModels.Create(TinyModels.ChatGlm(), seed: 1);
        Assert.IsType<GlmModel>(glm);
        Assert.Equal(ModelFamily.Glm, glm.Family);
        Assert.IsType<ChatGlmModel>(chatGlm);
        Assert.Equal(ModelFamily.ChatGlm, chatGlm.Family);
        Assert.Throws<GlmException>(() => GlmModels.Create("not a config", seed: 1));
        Assert.Throws<GlmException>(() => GlmModels.Create(TinyModels.Glm() with { NumAttentionHeads = 5 }, seed: 1));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void A_model_built_inside_a_dispose_scope_outlives_it(string family)
    {
        IGlmLanguageModel model;
        using (NewDisposeScope())
            model = GlmModels.Create(Config(family), seed: 1);
        using (model) {
            using var scope = NewDisposeScope();
            var ids = zeros(1, 4, int64);
            var logits = model.Logits(ids, arange(4, int64).unsqueeze(0), ids, tensor(new long[] { 2 }));
            Assert.True(logits.isfinite().all().item<bool>());
            Assert.All(model.NamedWeights(), w => Assert.True(w.Value.isfinite().all().item<bool>(), w.Name));
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void The_seed_alone_decides_the_weights(string family)
    {
        manual_seed(11);
        using var first = GlmModels.Create(Config(family), seed: 42);
        manual_seed(12); // the global generator must not matter
        using var same = GlmModels.Create(Config(family), seed: 42);
        using var other = GlmModels.Create(Config(family), seed: 43);

        foreach (var ((name, a), (_, b), (_, c)) in first.NamedWeights().Zip(same.NamedWeights(), other.NamedWeights())) {
            Assert.True(a.eq(b).all().item<bool>(), $"{name} differs between two models with the same seed");
            bool random = a.dim() == 2; // matrices and embeddings; norms and biases are constants
            Assert.True(random == !a.eq(c).all().item<bool>(), $"{name}: equal across seeds is {!random} only for constants");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Initialisation_follows_the_spec(string family)
    {
        // hidden 64 and 8 layers: each matrix has thousands of draws, and 0.02/√16 = 0.005 is far from 0.02.
        object config = family == "glm"
            ? TinyModels.Glm() with { HiddenSize = 64, NumLayers = 8 }
            : TinyModels.ChatGlm() with { NumLayers = 8 };
        using var model = GlmModels.Create(config, seed: 5);
        const double scaledStd = 0.02 / 4;
        foreach (var (name, value) in model.NamedWeights()) {
            double mean = value.mean().item<float>(), std = value.std().item<float>();
            if (value.dim() == 2) {
                double expected = name.EndsWith("dense.weight") || name.EndsWith("dense_4h_to_h.weight") ? scaledStd : 0.02;
                Assert.True(Math.Abs(std / expected - 1) < 0.1, $"{name}: std {std:G3}, expected {expected:G3}");
                Assert.True(Math.Abs(mean) < expected * 0.1, $"{name}: mean {mean:G3}");
            }
            else {
                double expected = name.EndsWith(".bias") ? 0 : 1;
                Assert.True(value.eq(expected).all().item<bool>(), $"{name} is not all {expected}");
            }
        }
    }

    [Fact]
    public void Flops_per_token_count_every_matmul_and_the_attention()
    {
        // GLM tiny: per layer 4·32² + 2·128·32 = 12288 matmul weights, head 29·32 = 928; attention 12·L·C·T.
        using var glm = GlmModels.Create(TinyModels.Glm(), seed: 1);
        Assert.Equal(6.0 * (2 * 12288 + 928) + 12.0 * 2 * 32 * 10, glm.FlopsPerToken(10));

        // ChatGLM tiny: per layer qkv 128·64 + dense 64·64 + 3·48·64 = 21504, head 37·64 = 2368; attention 12·L·H·D·T.
        using var chatGlm = GlmModels.Create(TinyModels.ChatGlm(), seed: 1);
        Assert.Equal(6.0 * (2 * 21504 + 2368) + 12.0 * 2 * 64 * 10, chatGlm.FlopsPerToken(10));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AdamW_memorises_a_short_sequence(string family)
    {
        const int steps = 150, T = 16;
        var config = Config(family);
        using var model = GlmModels.Create(config, seed: 3);
        int vocab = config is GlmConfig g ? g.VocabSize : ((ChatGlmConfig)config).PaddedVocabSize;
        var sequence = TinyModels.RandomIds(seed: 9, 1, T + 1, vocab)[0];

        using var inputIds = tensor(sequence[..T], [1, T]);
        using var targets = tensor(sequence[1..], [T]);
        using var positions = arange(T, int64).unsqueeze(0);
        using var blockPositions = zeros(1, T, int64);
        using var partALength = tensor(new long[] { 1 }); // one Part A token, then causal: plain language modelling
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-2);

        var losses = new List<double>();
        for (int step = 0; step < steps; step++) {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.Logits(inputIds, positions, blockPositions, partALength);
            var loss = nn.functional.cross_entropy(logits.view(T, vocab), targets);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }

        output.WriteLine($"loss {losses[0]:F3} -> {losses[^1]:F4}");
        Assert.True(Math.Abs(losses[0] - Math.Log(vocab)) < 0.5, $"initial loss {losses[0]:F3} is not near ln V");
        Assert.True(losses[^1] < 0.05, $"loss only fell to {losses[^1]:F4}");
    }
}

using Glm.Core;
using Glm.Core.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Glm.Training.Models;

/// <summary>
/// The ChatGLM2/3 and GLM-4 decoder (glm-spec 2.3), following THUDM <c>modeling_chatglm.py</c>: RMSNorm, a fused and
/// blocked QKV projection with grouped-query attention, partial RoPE on the first half of each head with adjacent
/// pairs, a causal mask, a SwiGLU MLP and an untied output layer (tied when <c>tie_word_embeddings</c>). Positions
/// come from the caller's position ids; block positions and Part A lengths are ignored. Dropout is not modelled.
/// See <see cref="IGlmLanguageModel"/> for ownership and threading.
/// </summary>
public sealed class ChatGlmModel : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>, IGlmLanguageModel
{
    private readonly ChatGlmConfig config;
    private readonly Parameter wordEmbeddings; // (V, C)
    private readonly ModuleList<Layer> layers;
    private readonly Parameter finalNormWeight; // (C)
    private readonly Parameter? outputLayer;    // (V, C); null when tied to the word embeddings

    /// <summary>
    /// Builds the model for a validated copy of <paramref name="config"/>, initialised from <paramref name="seed"/> as
    /// <see cref="GlmModels.Create"/> describes. Throws <see cref="GlmException"/> for the config switches that no
    /// released checkpoint uses (add_bias_linear, apply_residual_connection_post_layernorm, post_layer_norm=false).
    /// </summary>
    public ChatGlmModel(ChatGlmConfig config, long seed) : base(nameof(ChatGlmModel))
    {
        this.config = config.Validate();
        if (config.AddBiasLinear)
            throw new GlmException("add_bias_linear=true (biases on dense and the MLP) is not supported");
        if (config.ApplyResidualConnectionPostLayernorm)
            throw new GlmException("apply_residual_connection_post_layernorm=true is not supported");
        if (!config.PostLayerNorm)
            throw new GlmException("post_layer_norm=false (no final RMSNorm) is not supported");

        int C = config.HiddenSize, V = config.PaddedVocabSize;
        using var generator = new Generator(unchecked((ulong)seed), CPU);
        wordEmbeddings = ModelWeights.Normal(generator, ModelWeights.InitStd, V, C);
        layers = new ModuleList<Layer>([.. Enumerable.Range(0, config.NumLayers).Select(_ => new Layer(config, generator))]);
        finalNormWeight = ModelWeights.Constant(1, C);
        outputLayer = config.TieWordEmbeddings ? null : ModelWeights.Normal(generator, ModelWeights.InitStd, V, C);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public ModelFamily Family => ModelFamily.ChatGlm;

    /// <inheritdoc/>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc/>
    public double FlopsPerToken(int seqLen)
    {
        double C = config.HiddenSize, L = config.NumLayers, ffn = config.FfnHiddenSize;
        double attentionWidth = (double)config.NumAttentionHeads * config.KvChannels; // H·D
        // Per layer: query_key_value (H + 2·Hkv)·D·C, dense C·H·D, dense_h_to_4h 2·ffn·C, dense_4h_to_h C·ffn;
        // then the output layer V·C.
        double matmulWeights = L * (config.QkvSize * C + attentionWidth * C + 3 * ffn * C)
                               + (double)config.PaddedVocabSize * C;
        // QKᵀ and AV: 2·T·H·D multiply-adds each per token and layer, times 3 for forward + backward.
        return 6 * matmulWeights + 12 * L * attentionWidth * seqLen;
    }

    /// <inheritdoc/>
    public Tensor Logits(Tensor inputIds, Tensor positionIds, Tensor blockPositionIds, Tensor partALength) =>
        call(inputIds, positionIds, blockPositionIds, partALength);

    /// <summary>The forward pass; call <see cref="Logits"/> (or <c>call</c>) rather than this directly.</summary>
    public override Tensor forward(Tensor inputIds, Tensor positionIds, Tensor blockPositionIds, Tensor partALength)
    {
        using var scope = NewDisposeScope();
        var x = wordEmbeddings[inputIds];                                // (B, T, C)

        // RoPE angles pos·θ_i with θ_i = base^(−2i/(D/2)), i < D/4, base = 10000·rope_ratio. HF builds them in fp32;
        // fp64 here, then cast, so large positions stay exact.                      cos, sin: (B, T, 1, D/4)
        int rotary = config.RotaryDim;
        var i = arange(rotary / 2, float64, inputIds.device);
        var theta = exp(i * (-2.0 / rotary * Math.Log(config.RopeBase)));
        var angle = positionIds.to(float64).unsqueeze(-1) * theta;      // (B, T, D/4)
        var cos = angle.cos().to(float32).unsqueeze(2);
        var sin = angle.sin().to(float32).unsqueeze(2);

        foreach (var layer in layers)
            x = layer.call(x, cos, sin);

        var h = RmsNorm(x, finalNormWeight, config.LayerNormEpsilon);
        return F.linear(h, outputLayer ?? wordEmbeddings).MoveToOuterDisposeScope(); // (B, T, V)
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Value)> NamedWeights()
    {
        var weights = new List<(string Name, Tensor Value)> { ("transformer.embedding.word_embeddings.weight", wordEmbeddings) };
        for (int i = 0; i < layers.Count; i++) {
            var l = layers[i];
            var p = $"transformer.encoder.layers.{i}.";
            weights.Add((p + "input_layernorm.weight", l.InputNormWeight));
            weights.Add((p + "self_attention.query_key_value.weight", l.QkvWeight));
            if (l.QkvBias is not null)
                weights.Add((p + "self_attention.query_key_value.bias", l.QkvBias));
            weights.Add((p + "self_attention.dense.weight", l.DenseWeight));
            weights.Add((p + "post_attention_layernorm.weight", l.PostNormWeight));
            weights.Add((p + "mlp.dense_h_to_4h.weight", l.GateUpWeight));
            weights.Add((p + "mlp.dense_4h_to_h.weight", l.DownWeight));
        }
        weights.Add(("transformer.encoder.final_layernorm.weight", finalNormWeight));
        if (outputLayer is not null)
            weights.Add(("transformer.output_layer.weight", outputLayer));
        return weights;
    }

    /// <inheritdoc/>
    public void LoadWeights(Func<string, (long[] Shape, float[] Data)> read) => ModelWeights.Load(NamedWeights(), read);

    // RMSNorm(x) = w ⊙ x·rsqrt(mean(x²) + eps), in fp32 (the whole model is fp32).
    private static Tensor RmsNorm(Tensor x, Tensor weight, double eps) =>
        x * (x.square().mean([-1], keepdim: true) + eps).rsqrt() * weight;

    // Rotates the first D/2 dims of each head in adjacent pairs (2i, 2i+1); the rest pass through.
    // x: (B, T, n, D); cos, sin: (B, T, 1, D/4).
    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        long D = x.shape[^1], R = D / 2;
        var pairs = x.narrow(3, 0, R).unflatten(3, [R / 2, 2]);        // (B, T, n, D/4, 2)
        var x0 = pairs.select(-1, 0);
        var x1 = pairs.select(-1, 1);
        var rotated = stack([x0 * cos - x1 * sin, x1 * cos + x0 * sin], -1).flatten(-2); // (B, T, n, D/2)
        return cat([rotated, x.narrow(-1, R, D - R)], -1);             // (B, T, n, D)
    }

    /// <summary>One layer: x += Attn(RMSNorm1(x)); x += SwiGLU(RMSNorm2(x)).</summary>
    private sealed class Layer : nn.Module<Tensor, Tensor, Tensor, Tensor>
    {
        private readonly int H, Hkv, D;
        private readonly double eps;
        public readonly Parameter InputNormWeight;  // (C)
        public readonly Parameter QkvWeight;        // ((H + 2·Hkv)·D, C): rows [Q(H·D) | K(Hkv·D) | V(Hkv·D)]
        public readonly Parameter? QkvBias;         // ((H + 2·Hkv)·D), only with add_qkv_bias
        public readonly Parameter DenseWeight;      // (C, H·D), no bias
        public readonly Parameter PostNormWeight;   // (C)
        public readonly Parameter GateUpWeight;     // (2·ffn, C): gate rows first, then up
        public readonly Parameter DownWeight;       // (C, ffn)

        public Layer(ChatGlmConfig config, Generator generator) : base(nameof(Layer))
        {
            (H, Hkv, D, eps) = (config.NumAttentionHeads, config.KvHeads, config.KvChannels, config.LayerNormEpsilon);
            int C = config.HiddenSize, ffn = config.FfnHiddenSize;
            double outputStd = ModelWeights.OutputStd(config.NumLayers);
            InputNormWeight = ModelWeights.Constant(1, C);
            QkvWeight = ModelWeights.Normal(generator, ModelWeights.InitStd, config.QkvSize, C);
            QkvBias = config.AddQkvBias ? ModelWeights.Constant(0, config.QkvSize) : null;
            DenseWeight = ModelWeights.Normal(generator, outputStd, C, H * D);
            PostNormWeight = ModelWeights.Constant(1, C);
            GateUpWeight = ModelWeights.Normal(generator, ModelWeights.InitStd, 2 * ffn, C);
            DownWeight = ModelWeights.Normal(generator, outputStd, C, ffn);
            RegisterComponents();
        }

        // x: (B, T, C); cos, sin: (B, T, 1, D/4).
        public override Tensor forward(Tensor x, Tensor cos, Tensor sin)
        {
            long B = x.shape[0], T = x.shape[1];

            var a = RmsNorm(x, InputNormWeight, eps);
            var qkv = F.linear(a, QkvWeight, QkvBias);                                // (B, T, (H + 2·Hkv)·D)
            var q = qkv.narrow(-1, 0, H * D).reshape(B, T, H, D);                     // (B, T, H, D)
            var k = qkv.narrow(-1, H * D, Hkv * D).reshape(B, T, Hkv, D);             // (B, T, Hkv, D)
            var v = qkv.narrow(-1, (H + Hkv) * D, Hkv * D).reshape(B, T, Hkv, D);     // (B, T, Hkv, D)
            q = Rope(q, cos, sin).transpose(1, 2);                                    // (B, H, T, D)
            // GQA: query head j reads KV group j / (H/Hkv), so each group repeats for H/Hkv consecutive heads.
            k = Rope(k, cos, sin).transpose(1, 2).repeat_interleave(H / Hkv, 1);      // (B, H, T, D)
            v = v.transpose(1, 2).repeat_interleave(H / Hkv, 1);                      // (B, H, T, D)
            var y = F.scaled_dot_product_attention(q, k, v, is_casual: true);         // (B, H, T, D), scale 1/√D
            x = x + F.linear(y.transpose(1, 2).reshape(B, T, H * D), DenseWeight);

            var m = RmsNorm(x, PostNormWeight, eps);
            var gateUp = F.linear(m, GateUpWeight).chunk(2, -1);                      // 2 × (B, T, ffn)
            return x + F.linear(F.silu(gateUp[0]) * gateUp[1], DownWeight);          // (B, T, C)
        }
    }
}

using Glm.Core.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Glm.Training.Models;

/// <summary>
/// The original GLM (Du et al., ACL 2022; glm-spec 1.1), following THUDM/GLM <c>mpu/transformer.py</c>: learned 2-D
/// position embeddings, pre-LN layers with LayerNorm, a fused QKV projection split in thirds, the blank-infilling
/// attention mask (Part A bidirectional, Part B causal and seeing all of Part A), a GeLU-tanh MLP, a final LayerNorm
/// and an output head tied to the word embeddings. Dropout is not modelled. See <see cref="IGlmLanguageModel"/> for
/// ownership and threading.
/// </summary>
public sealed class GlmModel : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>, IGlmLanguageModel
{
    private readonly GlmConfig config;
    private readonly Parameter wordEmbeddings;           // (V, C), also the output head
    private readonly Parameter positionEmbeddings;       // (P + 1, C), P = max_sequence_length
    private readonly Parameter? blockPositionEmbeddings; // (P + 1, C), only with block_position_encoding
    private readonly ModuleList<Layer> layers;
    private readonly Parameter finalNormWeight;          // (C)
    private readonly Parameter finalNormBias;            // (C)

    /// <summary>Builds the model for a validated copy of <paramref name="config"/>, initialised from <paramref name="seed"/> as <see cref="GlmModels.Create"/> describes.</summary>
    public GlmModel(GlmConfig config, long seed) : base(nameof(GlmModel))
    {
        this.config = config.Validate();
        int C = config.HiddenSize, V = config.VocabSize, positions = config.MaxSequenceLength + 1;
        using var generator = new Generator(unchecked((ulong)seed), CPU);
        wordEmbeddings = ModelWeights.Normal(generator, ModelWeights.InitStd, V, C);
        positionEmbeddings = ModelWeights.Normal(generator, ModelWeights.InitStd, positions, C);
        blockPositionEmbeddings = config.BlockPositionEncoding
            ? ModelWeights.Normal(generator, ModelWeights.InitStd, positions, C)
            : null;
        layers = new ModuleList<Layer>([.. Enumerable.Range(0, config.NumLayers).Select(_ => new Layer(config, generator))]);
        finalNormWeight = ModelWeights.Constant(1, C);
        finalNormBias = ModelWeights.Constant(0, C);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public ModelFamily Family => ModelFamily.Glm;

    /// <inheritdoc/>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc/>
    public double FlopsPerToken(int seqLen)
    {
        double C = config.HiddenSize, ffn = config.FfnSize, L = config.NumLayers;
        // Per layer: query_key_value 3C·C, dense C·C, dense_h_to_4h ffn·C, dense_4h_to_h C·ffn; then the tied head V·C.
        double matmulWeights = L * (4 * C * C + 2 * ffn * C) + (double)config.VocabSize * C;
        // QKᵀ and AV: 2·T·C multiply-adds each per token and layer (H·D = C), times 3 for forward + backward.
        return 6 * matmulWeights + 12 * L * C * seqLen;
    }

    /// <inheritdoc/>
    public Tensor Logits(Tensor inputIds, Tensor positionIds, Tensor blockPositionIds, Tensor partALength) =>
        call(inputIds, positionIds, blockPositionIds, partALength);

    /// <summary>The forward pass; call <see cref="Logits"/> (or <c>call</c>) rather than this directly.</summary>
    public override Tensor forward(Tensor inputIds, Tensor positionIds, Tensor blockPositionIds, Tensor partALength)
    {
        using var scope = NewDisposeScope();
        long T = inputIds.shape[1];

        // x = E[tok] + P[pos] + B[block_pos]                                                    x: (B, T, C)
        var x = wordEmbeddings[inputIds] + positionEmbeddings[positionIds];
        if (blockPositionEmbeddings is not null)
            x = x + blockPositionEmbeddings[blockPositionIds];

        // build_mask_matrix: query i sees key j iff j < |Part A| or j <= i. True means "attend"; masked scores become
        // -inf inside SDPA (upstream uses -65504), and every row sees at least itself, so no row is all -inf.
        var j = arange(T, int64, inputIds.device);
        var causal = j.unsqueeze(0).le(j.unsqueeze(1));                 // (T, T): [i, j] = j <= i
        var inPartA = j.view(1, 1, T).lt(partALength.view(-1, 1, 1));   // (B, 1, T)
        var mask = causal.unsqueeze(0).logical_or(inPartA).unsqueeze(1); // (B, 1, T, T)

        foreach (var layer in layers)
            x = layer.call(x, mask);

        var h = F.layer_norm(x, [config.HiddenSize], finalNormWeight, finalNormBias, config.LayerNormEpsilon);
        // The output head is the word embedding table: logits = h·Eᵀ                          (B, T, V)
        return F.linear(h, wordEmbeddings).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Tensor Value)> NamedWeights()
    {
        var weights = new List<(string Name, Tensor Value)>
        {
            ("glm.word_embeddings.weight", wordEmbeddings),
            ("glm.transformer.position_embeddings.weight", positionEmbeddings),
        };
        if (blockPositionEmbeddings is not null)
            weights.Add(("glm.transformer.block_position_embeddings.weight", blockPositionEmbeddings));
        for (int i = 0; i < layers.Count; i++) {
            var l = layers[i];
            var p = $"glm.transformer.layers.{i}.";
            weights.Add((p + "input_layernorm.weight", l.InputNormWeight));
            weights.Add((p + "input_layernorm.bias", l.InputNormBias));
            weights.Add((p + "attention.query_key_value.weight", l.QkvWeight));
            weights.Add((p + "attention.query_key_value.bias", l.QkvBias));
            weights.Add((p + "attention.dense.weight", l.DenseWeight));
            weights.Add((p + "attention.dense.bias", l.DenseBias));
            weights.Add((p + "post_attention_layernorm.weight", l.PostNormWeight));
            weights.Add((p + "post_attention_layernorm.bias", l.PostNormBias));
            weights.Add((p + "mlp.dense_h_to_4h.weight", l.UpWeight));
            weights.Add((p + "mlp.dense_h_to_4h.bias", l.UpBias));
            weights.Add((p + "mlp.dense_4h_to_h.weight", l.DownWeight));
            weights.Add((p + "mlp.dense_4h_to_h.bias", l.DownBias));
        }
        weights.Add(("glm.transformer.final_layernorm.weight", finalNormWeight));
        weights.Add(("glm.transformer.final_layernorm.bias", finalNormBias));
        return weights;
    }

    /// <inheritdoc/>
    public void LoadWeights(Func<string, (long[] Shape, float[] Data)> read) => ModelWeights.Load(NamedWeights(), read);

    /// <summary>One pre-LN layer: x += Attn(LN1(x)); x += MLP(LN2(x)).</summary>
    private sealed class Layer : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly int C, H, D;
        private readonly double eps;
        public readonly Parameter InputNormWeight, InputNormBias; // (C), (C)
        public readonly Parameter QkvWeight, QkvBias;             // (3C, C), (3C): rows [Q | K | V] in thirds
        public readonly Parameter DenseWeight, DenseBias;         // (C, C), (C)
        public readonly Parameter PostNormWeight, PostNormBias;   // (C), (C)
        public readonly Parameter UpWeight, UpBias;               // (ffn, C), (ffn)   dense_h_to_4h
        public readonly Parameter DownWeight, DownBias;           // (C, ffn), (C)     dense_4h_to_h

        public Layer(GlmConfig config, Generator generator) : base(nameof(Layer))
        {
            (C, H, D, eps) = (config.HiddenSize, config.NumAttentionHeads, config.HeadDim, config.LayerNormEpsilon);
            int ffn = config.FfnSize;
            double outputStd = ModelWeights.OutputStd(config.NumLayers);
            InputNormWeight = ModelWeights.Constant(1, C);
            InputNormBias = ModelWeights.Constant(0, C);
            QkvWeight = ModelWeights.Normal(generator, ModelWeights.InitStd, 3 * C, C);
            QkvBias = ModelWeights.Constant(0, 3 * C);
            DenseWeight = ModelWeights.Normal(generator, outputStd, C, C);
            DenseBias = ModelWeights.Constant(0, C);
            PostNormWeight = ModelWeights.Constant(1, C);
            PostNormBias = ModelWeights.Constant(0, C);
            UpWeight = ModelWeights.Normal(generator, ModelWeights.InitStd, ffn, C);
            UpBias = ModelWeights.Constant(0, ffn);
            DownWeight = ModelWeights.Normal(generator, outputStd, C, ffn);
            DownBias = ModelWeights.Constant(0, C);
            RegisterComponents();
        }

        // x: (B, T, C); mask: (B, 1, T, T), true = attend.
        public override Tensor forward(Tensor x, Tensor mask)
        {
            long B = x.shape[0], T = x.shape[1];

            var a = F.layer_norm(x, [C], InputNormWeight, InputNormBias, eps);
            var qkv = F.linear(a, QkvWeight, QkvBias).chunk(3, -1);         // 3 × (B, T, C)
            var q = qkv[0].reshape(B, T, H, D).transpose(1, 2);              // (B, H, T, D)
            var k = qkv[1].reshape(B, T, H, D).transpose(1, 2);              // (B, H, T, D)
            var v = qkv[2].reshape(B, T, H, D).transpose(1, 2);              // (B, H, T, D)
            var y = F.scaled_dot_product_attention(q, k, v, mask);           // (B, H, T, D), softmax(Q·Kᵀ/√D)·V
            y = y.transpose(1, 2).reshape(B, T, C);                          // (B, T, C)
            x = x + F.linear(y, DenseWeight, DenseBias);

            var m = F.layer_norm(x, [C], PostNormWeight, PostNormBias, eps);
            var u = F.gelu(F.linear(m, UpWeight, UpBias), GELU.Approximate.tanh); // (B, T, ffn), gelu_impl
            return x + F.linear(u, DownWeight, DownBias);                   // (B, T, C)
        }
    }
}

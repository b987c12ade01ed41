using Glm.Core;
using Glm.Core.Configs;
using Glm.Inference.Layers;
using Glm.Inference.Loading;
using Glm.Kernels.Dot;
using Glm.Kernels.Ops;
using Glm.Kernels.Threading;

namespace Glm.Inference.Models;

/// <summary>
/// The GLM-4-0414 decoder (transformers' <c>Glm4ForCausalLM</c>, llama.cpp <c>glm4</c>) on the CPU, one sequence at a
/// time. It is the ChatGLM2/3 / GLM-4 layer (<see cref="ChatGlm"/>) with separate q/k/v projections and a second,
/// "sandwich" RMSNorm on each sublayer's output before the residual add:
/// <code>
/// x = E[id]                                                  // [T, C]
/// per layer: a = rmsnorm(x); q = a·Wqᵀ + bq; k = a·Wkᵀ + bk; v = a·Wvᵀ + bv   // [T, H·D], [T, Hkv·D], [T, Hkv·D]
///            RoPE on the first D·partial_rotary_factor dims of every q and k head, adjacent pairs, base rope_theta
///            append k, v to the cache; ctx = causal GQA attention   // [T, H·D]
///            x += rmsnorm_post_attn(ctx·Woᵀ)
///            u = rmsnorm_ffn(x)·W1ᵀ                           // [T, 2F], gate rows first
///            x += rmsnorm_post_mlp((silu(u[:F]) ⊙ u[F:])·W2ᵀ)
/// logits = rmsnorm(x)·Woutᵀ                                   // [T, V]
/// </code>
/// A prompt is run in batches of up to <see cref="KvDecoderModel.BatchSize"/> tokens; a decode step is one token of one sequence, or of
/// up to <see cref="KvDecoderModel.BatchSize"/> sequences at once (<see cref="KvDecoderModel.DecodeBatch"/>). Every buffer is
/// allocated in the constructor, so <see cref="KvDecoderModel.Decode"/> allocates nothing. Not thread-safe: one call at a time. Owns
/// its buffers and KV cache, not the weights (their <see cref="GlmModelFile"/> does) nor the pool.
/// </summary>
public sealed class Glm4 : KvDecoderModel
{
    private readonly Glm4Weights _w;
    private readonly WorkerPool _pool;
    private readonly MatMul _matMul;
    private readonly CausalAttention _attention;
    private readonly BatchAttention _batchAttention;
    private readonly int _c, _h, _hkv, _d, _f, _pairs;
    private readonly float _eps;
    private readonly float[] _x, _a, _q, _k, _vv, _ctx, _tmp, _gu, _g, _cos, _sin;
    private readonly byte[] _scratch;

    /// <summary>
    /// Prepares a model over <paramref name="weights"/> with a KV cache of <paramref name="contextLength"/> tokens
    /// (default: the config's max_position_embeddings, at most 4096) and prompt batches of <paramref name="batchSize"/>
    /// tokens. The work of each step is split across <paramref name="pool"/> (not owned).
    /// </summary>
    public Glm4(Glm4Weights weights, WorkerPool pool, int contextLength = 0, int batchSize = 32)
        : base(Cfg(weights).NumHiddenLayers, Cfg(weights).NumKeyValueHeads, Cfg(weights).HeadDim, Cfg(weights).VocabSize,
            contextLength > 0 ? contextLength : Math.Min(Cfg(weights).MaxPositionEmbeddings, 4096), batchSize)
    {
        _w = weights;
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        Glm4Config config = weights.Config;
        (_c, _h, _hkv, _d, _f) = (config.HiddenSize, config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim, config.IntermediateSize);
        _pairs = config.RotaryDim / 2;
        _eps = (float)config.RmsNormEps;
        _matMul = new MatMul(pool);
        _attention = new CausalAttention(_h, _hkv, _d);
        _batchAttention = new BatchAttention(_h, _hkv, _d, BatchSize);

        int b = BatchSize;
        _x = new float[b * _c];
        _a = new float[b * _c];
        _q = new float[b * _h * _d];
        _k = new float[b * _hkv * _d];
        _vv = new float[b * _hkv * _d];
        _ctx = new float[b * _h * _d];
        _tmp = new float[b * _c];
        _gu = new float[b * 2 * _f];
        _g = new float[b * _f];

        // RoPE table [position, rotary/2]: θ_i = rope_theta^(−2i/rotary) over the first rotary dims of each head.
        _cos = new float[ContextLength * _pairs];
        _sin = new float[ContextLength * _pairs];
        for (int p = 0; p < ContextLength; p++)
        {
            Rope.CosSin(p, config.RotaryDim, (float)config.RopeBase, _cos.AsSpan(p * _pairs, _pairs), _sin.AsSpan(p * _pairs, _pairs));
        }

        int scratch = Linear.ScratchBytes(weights.Output, b);
        foreach (var layer in weights.Layers)
        {
            foreach (var m in (ReadOnlySpan<WeightTensor>)[layer.Q, layer.K, layer.V, layer.Output, layer.GateUp, layer.Down])
            {
                scratch = Math.Max(scratch, Linear.ScratchBytes(m, b));
            }
        }
        _scratch = new byte[scratch];
    }

    public Glm4Config Config => _w.Config;

    private static Glm4Config Cfg(Glm4Weights weights) => (weights ?? throw new ArgumentNullException(nameof(weights))).Config; // checked before the base runs

    /// <inheritdoc/>
    protected override void Batch(ReadOnlySpan<int> tokens, KvCache? sequence, ReadOnlySpan<KvCache> rows, Span<float> logits, bool allRows)
    {
        int T = tokens.Length, start = sequence?.Length ?? 0, c = _c, qd = _h * _d, kvRow = _hkv * _d;
        Span<float> x = _x.AsSpan(0, T * c), a = _a.AsSpan(0, T * c), tmp = _tmp.AsSpan(0, T * c);
        for (int t = 0; t < T; t++)
        {
            if ((uint)tokens[t] >= (uint)VocabSize)
            {
                throw new GlmException($"token id {tokens[t]} is outside the vocabulary (0..{VocabSize - 1})");
            }
            _w.Embedding.ReadRow(tokens[t], x.Slice(t * c, c));
        }

        for (int l = 0; l < _w.Layers.Count; l++)
        {
            Glm4LayerWeights layer = _w.Layers[l];

            // Attention block: separate q/k/v projections, each row roped and cached.
            RmsNormRows.Apply(x, layer.AttnNorm, _eps, a, T, c);
            Linear.Apply(_matMul, layer.Q, a, T, _q, layer.QBias, _scratch);
            Linear.Apply(_matMul, layer.K, a, T, _k, layer.KBias, _scratch);
            Linear.Apply(_matMul, layer.V, a, T, _vv, layer.VBias, _scratch);
            for (int t = 0; t < T; t++)
            {
                KvCache cache = sequence ?? rows[t];
                int p = sequence is null ? cache.Length : start + t;
                ReadOnlySpan<float> cos = _cos.AsSpan(p * _pairs, _pairs), sin = _sin.AsSpan(p * _pairs, _pairs);
                Rope.Apply(_q.AsSpan(t * qd, qd), _h, _d, cos, sin);
                Span<float> k = _k.AsSpan(t * kvRow, kvRow);
                Rope.Apply(k, _hkv, _d, cos, sin);
                k.CopyTo(cache.Keys[l].AsSpan(p * kvRow, kvRow));
                _vv.AsSpan(t * kvRow, kvRow).CopyTo(cache.Values[l].AsSpan(p * kvRow, kvRow));
            }
            if (sequence is null)
            {
                _batchAttention.Run(_pool, _q, qd, rows, l, _ctx);
            }
            else
            {
                _attention.Run(_pool, _q, qd, sequence.Keys[l], sequence.Values[l], start, T, _ctx);
            }
            Linear.Apply(_matMul, layer.Output, _ctx.AsSpan(0, T * qd), T, tmp, null, _scratch);
            // Sandwich norm: the attention output is normalized before the residual add.
            RmsNormRows.Apply(tmp, layer.PostAttnNorm, _eps, a, T, c);
            Elementwise.Add(x, a, x);

            // MLP block: SwiGLU with the gate first, then the second sandwich norm.
            RmsNormRows.Apply(x, layer.FfnNorm, _eps, a, T, c);
            Linear.Apply(_matMul, layer.GateUp, a, T, _gu, null, _scratch);
            for (int t = 0; t < T; t++)
            {
                Elementwise.SwiGlu(_gu.AsSpan(t * 2 * _f, 2 * _f), _g.AsSpan(t * _f, _f));
            }
            Linear.Apply(_matMul, layer.Down, _g.AsSpan(0, T * _f), T, tmp, null, _scratch);
            RmsNormRows.Apply(tmp, layer.PostFfnNorm, _eps, a, T, c);
            Elementwise.Add(x, a, x);
        }
        Advance(sequence, rows, T);
        WriteLogits(_matMul, _w.FinalNorm, _eps, _w.Output, _scratch, x, a, T, c, logits, allRows);
    }
}

using Glm.Core;
using Glm.Core.Configs;
using Glm.Inference.Layers;
using Glm.Inference.Loading;
using Glm.Kernels.Dot;
using Glm.Kernels.Ops;
using Glm.Kernels.Threading;

namespace Glm.Inference.Models;

/// <summary>
/// The ChatGLM2/3 / GLM-4 decoder (glm-spec §2.3, pseudo-code §2.8) on the CPU, one sequence at a time:
/// <code>
/// x = E[id]                                                  // [T, C]
/// per layer: a = rmsnorm(x); qkv = a·Wqkvᵀ + b               // [T, H·D + 2·Hkv·D], blocked Q | K | V
///            RoPE on the first D/2 dims of every q and k head, adjacent pairs, base 10000·rope_ratio
///            append k, v to the cache; ctx = causal GQA attention   // [T, H·D]
///            x += ctx·Woᵀ; m = rmsnorm(x); u = m·W1ᵀ          // [T, 2F], gate rows first
///            x += (silu(u[:F]) ⊙ u[F:])·W2ᵀ
/// logits = rmsnorm(x)·Woutᵀ                                   // [T, V]
/// </code>
/// A prompt is run in batches of up to <see cref="KvDecoderModel.BatchSize"/> tokens (the kernels' gemm); a decode step is one token of
/// one sequence, or of up to <see cref="KvDecoderModel.BatchSize"/> sequences at once (<see cref="KvDecoderModel.DecodeBatch"/>, the same gemm).
/// Every buffer is allocated in the constructor, so <see cref="KvDecoderModel.Decode"/> allocates nothing. Not thread-safe: one call at
/// a time. Owns its buffers and KV cache, not the weights (their <see cref="GlmModelFile"/> does) nor the pool.
/// </summary>
public sealed class ChatGlm : KvDecoderModel
{
    private readonly ChatGlmWeights _w;
    private readonly WorkerPool _pool;
    private readonly MatMul _matMul;
    private readonly CausalAttention _attention;
    private readonly BatchAttention _batchAttention;
    private readonly int _c, _h, _hkv, _d, _f, _qkvSize, _pairs;
    private readonly float _eps;
    private readonly float[] _x, _a, _qkv, _ctx, _tmp, _gu, _g, _cos, _sin;
    private readonly byte[] _scratch;

    /// <summary>
    /// Prepares a model over <paramref name="weights"/> with a KV cache of <paramref name="contextLength"/> tokens
    /// (default: the config's seq_length, at most 4096) and prompt batches of <paramref name="batchSize"/> tokens. The
    /// work of each step is split across <paramref name="pool"/> (not owned).
    /// </summary>
    public ChatGlm(ChatGlmWeights weights, WorkerPool pool, int contextLength = 0, int batchSize = 32)
        : base(Cfg(weights).NumLayers, Cfg(weights).KvHeads, Cfg(weights).KvChannels, Cfg(weights).PaddedVocabSize,
            contextLength > 0 ? contextLength : Math.Min(Cfg(weights).SeqLength, 4096), batchSize)
    {
        _w = weights;
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        ChatGlmConfig config = weights.Config;
        (_c, _h, _hkv, _d, _f) = (config.HiddenSize, config.NumAttentionHeads, config.KvHeads, config.KvChannels, config.FfnHiddenSize);
        _qkvSize = config.QkvSize;
        _pairs = config.RotaryDim / 2;
        _eps = (float)config.LayerNormEpsilon;
        _matMul = new MatMul(pool);
        _attention = new CausalAttention(_h, _hkv, _d);
        _batchAttention = new BatchAttention(_h, _hkv, _d, BatchSize);

        int b = BatchSize;
        _x = new float[b * _c];
        _a = new float[b * _c];
        _qkv = new float[b * _qkvSize];
        _ctx = new float[b * _h * _d];
        _tmp = new float[b * _c];
        _gu = new float[b * 2 * _f];
        _g = new float[b * _f];

        // RoPE table [position, D/4]: θ_i = base^(−2i/(D/2)) over the first D/2 dims (pitfalls 1, 2).
        _cos = new float[ContextLength * _pairs];
        _sin = new float[ContextLength * _pairs];
        for (int p = 0; p < ContextLength; p++)
        {
            Rope.CosSin(p, config.RotaryDim, (float)config.RopeBase, _cos.AsSpan(p * _pairs, _pairs), _sin.AsSpan(p * _pairs, _pairs));
        }

        int scratch = Linear.ScratchBytes(weights.Output, b);
        foreach (var layer in weights.Layers)
        {
            foreach (var m in (ReadOnlySpan<WeightTensor>)[layer.Qkv, layer.Dense, layer.GateUp, layer.Down])
            {
                scratch = Math.Max(scratch, Linear.ScratchBytes(m, b));
            }
        }
        _scratch = new byte[scratch];
    }

    public ChatGlmConfig Config => _w.Config;

    private static ChatGlmConfig Cfg(ChatGlmWeights weights) => (weights ?? throw new ArgumentNullException(nameof(weights))).Config; // checked before the base runs

    /// <inheritdoc/>
    protected override void Batch(ReadOnlySpan<int> tokens, KvCache? sequence, ReadOnlySpan<KvCache> rows, Span<float> logits, bool allRows)
    {
        int T = tokens.Length, start = sequence?.Length ?? 0, c = _c, qd = _h * _d, kvRow = _hkv * _d;
        Span<float> x = _x.AsSpan(0, T * c), a = _a.AsSpan(0, T * c);
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
            ChatGlmLayerWeights layer = _w.Layers[l];

            // Attention block.
            RmsNormRows.Apply(x, layer.AttnNorm, _eps, a, T, _c);
            Linear.Apply(_matMul, layer.Qkv, a, T, _qkv, layer.QkvBias, _scratch);
            for (int t = 0; t < T; t++)
            {
                KvCache cache = sequence ?? rows[t];
                int p = sequence is null ? cache.Length : start + t;
                Span<float> row = _qkv.AsSpan(t * _qkvSize, _qkvSize);
                ReadOnlySpan<float> cos = _cos.AsSpan(p * _pairs, _pairs), sin = _sin.AsSpan(p * _pairs, _pairs);
                Rope.Apply(row[..qd], _h, _d, cos, sin);
                Rope.Apply(row.Slice(qd, kvRow), _hkv, _d, cos, sin);
                row.Slice(qd, kvRow).CopyTo(cache.Keys[l].AsSpan(p * kvRow, kvRow));
                row.Slice(qd + kvRow, kvRow).CopyTo(cache.Values[l].AsSpan(p * kvRow, kvRow));
            }
            if (sequence is null)
            {
                _batchAttention.Run(_pool, _qkv, _qkvSize, rows, l, _ctx);
            }
            else
            {
                _attention.Run(_pool, _qkv, _qkvSize, sequence.Keys[l], sequence.Values[l], start, T, _ctx);
            }
            Linear.Apply(_matMul, layer.Dense, _ctx.AsSpan(0, T * qd), T, _tmp, layer.DenseBias, _scratch);
            Elementwise.Add(x, _tmp.AsSpan(0, T * c), x);

            // MLP block: SwiGLU with the gate first.
            RmsNormRows.Apply(x, layer.FfnNorm, _eps, a, T, _c);
            Linear.Apply(_matMul, layer.GateUp, a, T, _gu, layer.GateUpBias, _scratch);
            for (int t = 0; t < T; t++)
            {
                Elementwise.SwiGlu(_gu.AsSpan(t * 2 * _f, 2 * _f), _g.AsSpan(t * _f, _f));
            }
            Linear.Apply(_matMul, layer.Down, _g.AsSpan(0, T * _f), T, _tmp, layer.DownBias, _scratch);
            Elementwise.Add(x, _tmp.AsSpan(0, T * c), x);
        }
        Advance(sequence, rows, T);
        WriteLogits(_matMul, _w.FinalNorm, _eps, _w.Output, _scratch, x, a, T, c, logits, allRows);
    }
}

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
/// A prompt is run in batches of up to <see cref="BatchSize"/> tokens (the kernels' gemm); a decode step is one token.
/// Every buffer is allocated in the constructor, so <see cref="Decode"/> allocates nothing. Not thread-safe: one call at
/// a time. Owns its buffers and KV cache, not the weights (their <see cref="GlmModelFile"/> does) nor the pool.
/// </summary>
public sealed class ChatGlm
{
    private readonly ChatGlmWeights _w;
    private readonly WorkerPool _pool;
    private readonly MatMul _matMul;
    private readonly CausalAttention _attention;
    private readonly int _c, _h, _hkv, _d, _f, _v, _qkvSize, _pairs;
    private readonly float _eps;
    private readonly float[] _x, _a, _qkv, _ctx, _tmp, _gu, _g, _logits, _cos, _sin;
    private readonly byte[] _scratch;

    /// <summary>
    /// Prepares a model over <paramref name="weights"/> with a KV cache of <paramref name="contextLength"/> tokens
    /// (default: the config's seq_length, at most 4096) and prompt batches of <paramref name="batchSize"/> tokens. The
    /// work of each step is split across <paramref name="pool"/> (not owned).
    /// </summary>
    public ChatGlm(ChatGlmWeights weights, WorkerPool pool, int contextLength = 0, int batchSize = 32)
    {
        _w = weights ?? throw new ArgumentNullException(nameof(weights));
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        ChatGlmConfig config = weights.Config;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ContextLength = contextLength > 0 ? contextLength : Math.Min(config.SeqLength, 4096);
        BatchSize = Math.Min(batchSize, ContextLength);
        (_c, _h, _hkv, _d, _f, _v) = (config.HiddenSize, config.NumAttentionHeads, config.KvHeads, config.KvChannels,
            config.FfnHiddenSize, config.PaddedVocabSize);
        _qkvSize = config.QkvSize;
        _pairs = config.RotaryDim / 2;
        _eps = (float)config.LayerNormEpsilon;
        _matMul = new MatMul(pool);
        Cache = new KvCache(config.NumLayers, ContextLength, _hkv, _d);
        _attention = new CausalAttention(_h, _hkv, _d);

        int b = BatchSize;
        _x = new float[b * _c];
        _a = new float[b * _c];
        _qkv = new float[b * _qkvSize];
        _ctx = new float[b * _h * _d];
        _tmp = new float[b * _c];
        _gu = new float[b * 2 * _f];
        _g = new float[b * _f];
        _logits = new float[_v];

        // RoPE table [position, D/4]: θ_i = base^(−2i/(D/2)) over the first D/2 dims (pitfalls 1, 2).
        _cos = new float[ContextLength * _pairs];
        _sin = new float[ContextLength * _pairs];
        for (int p = 0; p < ContextLength; p++)
        {
            Rope.CosSin(p, config.RotaryDim, (float)config.RopeBase, _cos.AsSpan(p * _pairs, _pairs), _sin.AsSpan(p * _pairs, _pairs));
        }

        int scratch = Linear.ScratchBytes(weights.Output, 1);
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

    /// <summary>Most tokens one sequence may hold (the KV cache size).</summary>
    public int ContextLength { get; }

    /// <summary>Most prompt tokens computed together.</summary>
    public int BatchSize { get; }

    /// <summary>Width of a logits row (the padded vocabulary V).</summary>
    public int VocabSize => _v;

    /// <summary>The sequence's KV cache; its <see cref="KvCache.Length"/> is the next token's position.</summary>
    public KvCache Cache { get; }

    /// <summary>Starts a new sequence.</summary>
    public void Reset() => Cache.Clear();

    /// <summary>
    /// Appends <paramref name="tokens"/> to the sequence and returns the logits after the last one ([V], a view of an
    /// internal buffer, valid until the next call).
    /// </summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("At least one token is needed.", nameof(tokens));
        }
        Run(tokens, allLogits: default);
        return _logits;
    }

    /// <summary>
    /// Appends one token and returns the next-token logits ([V], internal buffer, valid until the next call).
    /// Allocates nothing.
    /// </summary>
    public ReadOnlySpan<float> Decode(int token)
    {
        Run(new ReadOnlySpan<int>(in token), allLogits: default);
        return _logits;
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> and writes the logits at every one of them into <paramref name="logits"/>
    /// ([T, V] row-major); for tests and scoring.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (logits.Length < (long)tokens.Length * _v)
        {
            throw new ArgumentException($"logits must hold {tokens.Length}·{_v} values.", nameof(logits));
        }
        Run(tokens, logits);
    }

    private void Run(ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        if (Cache.Length + tokens.Length > ContextLength)
        {
            throw new GlmException($"the sequence would hold {Cache.Length + tokens.Length} tokens; the context holds {ContextLength}");
        }
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Span<float> rows = allLogits.IsEmpty ? default : allLogits.Slice(i * _v, n * _v);
            Batch(tokens.Slice(i, n), rows, last: i + n == tokens.Length);
        }
    }

    /// <summary>One batch of T tokens at positions start .. start + T − 1.</summary>
    private void Batch(ReadOnlySpan<int> tokens, Span<float> allLogits, bool last)
    {
        int T = tokens.Length, start = Cache.Length, c = _c, qd = _h * _d, kvRow = _hkv * _d;
        Span<float> x = _x.AsSpan(0, T * c), a = _a.AsSpan(0, T * c);
        for (int t = 0; t < T; t++)
        {
            if ((uint)tokens[t] >= (uint)_v)
            {
                throw new GlmException($"token id {tokens[t]} is outside the vocabulary (0..{_v - 1})");
            }
            _w.Embedding.ReadRow(tokens[t], x.Slice(t * c, c));
        }

        for (int l = 0; l < _w.Layers.Count; l++)
        {
            ChatGlmLayerWeights layer = _w.Layers[l];
            float[] keys = Cache.Keys[l], values = Cache.Values[l];

            // Attention block.
            RmsNormRows(x, layer.AttnNorm, a, T);
            Linear.Apply(_matMul, layer.Qkv, a, T, _qkv, layer.QkvBias, _scratch);
            for (int t = 0; t < T; t++)
            {
                int p = start + t;
                Span<float> row = _qkv.AsSpan(t * _qkvSize, _qkvSize);
                ReadOnlySpan<float> cos = _cos.AsSpan(p * _pairs, _pairs), sin = _sin.AsSpan(p * _pairs, _pairs);
                Rope.Apply(row[..qd], _h, _d, cos, sin);
                Rope.Apply(row.Slice(qd, kvRow), _hkv, _d, cos, sin);
                row.Slice(qd, kvRow).CopyTo(keys.AsSpan(p * kvRow, kvRow));
                row.Slice(qd + kvRow, kvRow).CopyTo(values.AsSpan(p * kvRow, kvRow));
            }
            _attention.Run(_pool, _qkv, _qkvSize, keys, values, start, T, _ctx);
            Linear.Apply(_matMul, layer.Dense, _ctx.AsSpan(0, T * qd), T, _tmp, layer.DenseBias, _scratch);
            Elementwise.Add(x, _tmp.AsSpan(0, T * c), x);

            // MLP block: SwiGLU with the gate first.
            RmsNormRows(x, layer.FfnNorm, a, T);
            Linear.Apply(_matMul, layer.GateUp, a, T, _gu, layer.GateUpBias, _scratch);
            for (int t = 0; t < T; t++)
            {
                Elementwise.SwiGlu(_gu.AsSpan(t * 2 * _f, 2 * _f), _g.AsSpan(t * _f, _f));
            }
            Linear.Apply(_matMul, layer.Down, _g.AsSpan(0, T * _f), T, _tmp, layer.DownBias, _scratch);
            Elementwise.Add(x, _tmp.AsSpan(0, T * c), x);
        }
        Cache.Length = start + T;

        if (!allLogits.IsEmpty)
        {
            RmsNormRows(x, _w.FinalNorm, a, T);
            Linear.Apply(_matMul, _w.Output, a, T, allLogits, null, _scratch);
            if (last)
            {
                allLogits.Slice((T - 1) * _v, _v).CopyTo(_logits);
            }
        }
        else if (last)
        {
            Span<float> h = a[..c];
            Elementwise.RmsNorm(x.Slice((T - 1) * c, c), _w.FinalNorm, _eps, h);
            Linear.Apply(_matMul, _w.Output, h, 1, _logits, null, _scratch);
        }
    }

    private void RmsNormRows(ReadOnlySpan<float> x, float[] weight, Span<float> y, int tokens)
    {
        for (int t = 0; t < tokens; t++)
        {
            Elementwise.RmsNorm(x.Slice(t * _c, _c), weight, _eps, y.Slice(t * _c, _c));
        }
    }
}

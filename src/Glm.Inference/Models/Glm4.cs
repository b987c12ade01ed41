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
/// A prompt is run in batches of up to <see cref="BatchSize"/> tokens; a decode step is one token of one sequence, or of
/// up to <see cref="BatchSize"/> sequences at once (<see cref="DecodeBatch"/>). Every buffer is
/// allocated in the constructor, so <see cref="Decode"/> allocates nothing. Not thread-safe: one call at a time. Owns
/// its buffers and KV cache, not the weights (their <see cref="GlmModelFile"/> does) nor the pool.
/// </summary>
public sealed class Glm4 : IDecoderModel
{
    private readonly Glm4Weights _w;
    private readonly WorkerPool _pool;
    private readonly MatMul _matMul;
    private readonly CausalAttention _attention;
    private readonly BatchAttention _batchAttention;
    private readonly int _c, _h, _hkv, _d, _f, _v, _pairs;
    private readonly float _eps;
    private readonly float[] _x, _a, _q, _k, _vv, _ctx, _tmp, _gu, _g, _logits, _cos, _sin;
    private readonly byte[] _scratch;
    private readonly KvCache[] _ownCache;

    /// <summary>
    /// Prepares a model over <paramref name="weights"/> with a KV cache of <paramref name="contextLength"/> tokens
    /// (default: the config's max_position_embeddings, at most 4096) and prompt batches of <paramref name="batchSize"/>
    /// tokens. The work of each step is split across <paramref name="pool"/> (not owned).
    /// </summary>
    public Glm4(Glm4Weights weights, WorkerPool pool, int contextLength = 0, int batchSize = 32)
    {
        _w = weights ?? throw new ArgumentNullException(nameof(weights));
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        Glm4Config config = weights.Config;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ContextLength = contextLength > 0 ? contextLength : Math.Min(config.MaxPositionEmbeddings, 4096);
        BatchSize = Math.Min(batchSize, ContextLength);
        (_c, _h, _hkv, _d, _f, _v) = (config.HiddenSize, config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim,
            config.IntermediateSize, config.VocabSize);
        _pairs = config.RotaryDim / 2;
        _eps = (float)config.RmsNormEps;
        _matMul = new MatMul(pool);
        Cache = new KvCache(config.NumHiddenLayers, ContextLength, _hkv, _d);
        _ownCache = [Cache];
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
        _logits = new float[_v];

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

    /// <inheritdoc/>
    public int ContextLength { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int VocabSize => _v;

    /// <inheritdoc/>
    public KvCache Cache { get; }

    /// <inheritdoc/>
    public void Reset() => Cache.Clear();

    /// <inheritdoc/>
    public KvCache CreateCache() => new(_w.Layers.Count, ContextLength, _hkv, _d);

    /// <inheritdoc/>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens) => Prefill(Cache, tokens);

    /// <inheritdoc/>
    public ReadOnlySpan<float> Prefill(KvCache cache, ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("At least one token is needed.", nameof(tokens));
        }
        Run(cache, tokens, allLogits: default);
        return _logits;
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Decode(int token)
    {
        BatchAttention.CheckCache(Cache, _w.Layers.Count, _hkv * _d, ContextLength, 1);
        Batch(new ReadOnlySpan<int>(in token), null, _ownCache, _logits, allRows: true);
        return _logits;
    }

    /// <inheritdoc/>
    public void DecodeBatch(ReadOnlySpan<int> tokens, ReadOnlySpan<KvCache> caches, Span<float> logits)
    {
        BatchAttention.CheckBatch(tokens, caches, logits, _v, BatchSize);
        foreach (KvCache cache in caches)
        {
            BatchAttention.CheckCache(cache, _w.Layers.Count, _hkv * _d, ContextLength, 1);
        }
        Batch(tokens, null, caches, logits[..(tokens.Length * _v)], allRows: true);
    }

    /// <inheritdoc/>
    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (logits.Length < (long)tokens.Length * _v)
        {
            throw new ArgumentException($"logits must hold {tokens.Length}·{_v} values.", nameof(logits));
        }
        Run(Cache, tokens, logits);
    }

    private void Run(KvCache cache, ReadOnlySpan<int> tokens, Span<float> allLogits)
    {
        BatchAttention.CheckCache(cache, _w.Layers.Count, _hkv * _d, ContextLength, tokens.Length);
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Span<float> rows = allLogits.IsEmpty ? default : allLogits.Slice(i * _v, n * _v);
            bool last = i + n == tokens.Length;
            Batch(tokens.Slice(i, n), cache, default, !rows.IsEmpty ? rows : last ? _logits : default, allRows: !rows.IsEmpty);
            if (last && !rows.IsEmpty)
            {
                rows.Slice((n - 1) * _v, _v).CopyTo(_logits);
            }
        }
    }

    /// <summary>
    /// One step of T rows. With <paramref name="sequence"/>, the rows are T consecutive tokens of that sequence, at
    /// positions Length .. Length + T − 1 (a prompt batch); otherwise row t is the next token of the sequence in
    /// <paramref name="rows"/>[t], at position rows[t].Length (a batched decode step). <paramref name="logits"/> gets
    /// every row's logits ([T, V]) when <paramref name="allRows"/>, else the last row's ([V]), or nothing when empty.
    /// </summary>
    private void Batch(ReadOnlySpan<int> tokens, KvCache? sequence, ReadOnlySpan<KvCache> rows, Span<float> logits, bool allRows)
    {
        int T = tokens.Length, start = sequence?.Length ?? 0, c = _c, qd = _h * _d, kvRow = _hkv * _d;
        Span<float> x = _x.AsSpan(0, T * c), a = _a.AsSpan(0, T * c), tmp = _tmp.AsSpan(0, T * c);
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
        Logits(x, a, T, logits, allRows);
    }

    private static void Advance(KvCache? sequence, ReadOnlySpan<KvCache> rows, int tokens)
    {
        if (sequence is not null)
        {
            sequence.Length += tokens;
            return;
        }
        foreach (KvCache cache in rows)
        {
            cache.Length++;
        }
    }

    /// <summary>Final norm and output layer: every row's logits, or the last row's, or none (see <see cref="Batch"/>).</summary>
    private void Logits(Span<float> x, Span<float> a, int T, Span<float> logits, bool allRows)
    {
        if (allRows)
        {
            RmsNormRows.Apply(x, _w.FinalNorm, _eps, a, T, _c);
            Linear.Apply(_matMul, _w.Output, a, T, logits, null, _scratch);
        }
        else if (!logits.IsEmpty)
        {
            Span<float> h = a[.._c];
            Elementwise.RmsNorm(x.Slice((T - 1) * _c, _c), _w.FinalNorm, _eps, h);
            Linear.Apply(_matMul, _w.Output, h, 1, logits, null, _scratch);
        }
    }
}

using Glm.Core;
using Glm.Core.Configs;
using Glm.Inference.Layers;
using Glm.Inference.Loading;
using Glm.Kernels.Dot;
using Glm.Kernels.Ops;
using Glm.Kernels.Threading;

namespace Glm.Inference.Models;

/// <summary>
/// The original GLM (Du et al., ACL 2022; glm-spec §1.1) on the CPU, one sequence at a time, for blank infilling:
/// <code>
/// x = E[tok] + P[pos] + B[block_pos]                          // [T, C], learned 2-D positions
/// per layer: a = layernorm(x); qkv = a·Wqkvᵀ + b              // [T, 3C], thirds Q | K | V, H heads of D (no RoPE)
///            append k, v to the cache; ctx = attention        // [T, C]; token i sees key j iff j &lt; |Part A| or j ≤ i
///            x += ctx·Wdᵀ + bd
///            x += gelu_tanh(layernorm(x)·W1ᵀ + b1)·W2ᵀ + b2   // [T, F] inside
/// logits = layernorm(x)·Eᵀ                                    // [T, V], the head is tied to the word embeddings
/// </code>
/// A sequence is Part A (the text with [MASK]/[sMASK]/[gMASK] blanks, bidirectional among itself) followed by Part B
/// (each blank's span from &lt;sop&gt;, causal, seeing all of Part A). The caller gives every token its position and
/// block position, as the blank-infilling collator makes them: Part A tokens count 0, 1, ... with block 0; a span's
/// tokens all take the position of their mask and count block positions from 1. Since positions are added at the
/// input (there is no RoPE), cached keys stay valid, and Part B can be decoded token by token. Part A must arrive in
/// one batch (it is at most <see cref="BatchSize"/> tokens, by default the whole context): each of its layers needs
/// the keys of all of Part A. Every buffer is allocated in the constructor, so <see cref="Decode"/> allocates nothing.
/// Not thread-safe: one call at a time. Owns its buffers and KV cache, not the weights nor the pool.
/// </summary>
public sealed class OriginalGlm
{
    private readonly GlmWeights _w;
    private readonly WorkerPool _pool;
    private readonly MatMul _matMul;
    private readonly CausalAttention _attention;
    private readonly int _c, _h, _d, _f, _v, _positions;
    private readonly float _eps;
    private readonly float[] _x, _a, _qkv, _ctx, _tmp, _up, _row, _logits;
    private readonly byte[] _scratch;

    /// <summary>
    /// Prepares a model over <paramref name="weights"/> with a KV cache of <paramref name="contextLength"/> tokens
    /// (default: the config's max_sequence_length) and batches of <paramref name="batchSize"/> tokens (default: the
    /// whole context, so any Part A fits one batch). The work of each step is split across <paramref name="pool"/>
    /// (not owned).
    /// </summary>
    public OriginalGlm(GlmWeights weights, WorkerPool pool, int contextLength = 0, int batchSize = 0)
    {
        _w = weights ?? throw new ArgumentNullException(nameof(weights));
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        GlmConfig config = weights.Config;
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        ContextLength = contextLength > 0 ? contextLength : config.MaxSequenceLength;
        BatchSize = batchSize > 0 ? Math.Min(batchSize, ContextLength) : ContextLength;
        (_c, _h, _d, _f, _v) = (config.HiddenSize, config.NumAttentionHeads, config.HeadDim, config.FfnSize, config.VocabSize);
        _positions = config.MaxSequenceLength + 1;
        _eps = (float)config.LayerNormEpsilon;
        _matMul = new MatMul(pool);
        Cache = new KvCache(config.NumLayers, ContextLength, _h, _d);
        _attention = new CausalAttention(_h, _h, _d);

        int b = BatchSize;
        _x = new float[b * _c];
        _a = new float[b * _c];
        _qkv = new float[b * 3 * _c];
        _ctx = new float[b * _c];
        _tmp = new float[b * _c];
        _up = new float[b * _f];
        _row = new float[_c];
        _logits = new float[_v];

        int scratch = Linear.ScratchBytes(weights.WordEmbeddings, b);
        foreach (var layer in weights.Layers)
        {
            foreach (var m in (ReadOnlySpan<WeightTensor>)[layer.Qkv, layer.Dense, layer.Up, layer.Down])
            {
                scratch = Math.Max(scratch, Linear.ScratchBytes(m, b));
            }
        }
        _scratch = new byte[scratch];
    }

    public GlmConfig Config => _w.Config;

    /// <summary>Most tokens one sequence may hold (the KV cache size).</summary>
    public int ContextLength { get; }

    /// <summary>Most tokens computed together; Part A must fit one batch.</summary>
    public int BatchSize { get; }

    /// <summary>Width of a logits row (V).</summary>
    public int VocabSize => _v;

    /// <summary>The sequence's KV cache; its <see cref="KvCache.Length"/> is the number of tokens fed so far.</summary>
    public KvCache Cache { get; }

    /// <summary>Tokens at the start of the current sequence that attend bidirectionally (Part A).</summary>
    public int PartALength { get; private set; }

    /// <summary>Starts a new sequence.</summary>
    public void Reset()
    {
        Cache.Clear();
        PartALength = 0;
    }

    /// <summary>
    /// Appends <paramref name="tokens"/> with their <paramref name="positions"/> and <paramref name="blockPositions"/>
    /// and returns the logits after the last one ([V], internal buffer, valid until the next call). The first call of a
    /// sequence sets its Part A length <paramref name="partALength"/> (0: all causal); later calls must repeat it.
    /// </summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> blockPositions, int partALength)
    {
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("At least one token is needed.", nameof(tokens));
        }
        Run(tokens, positions, blockPositions, partALength, allLogits: default);
        return _logits;
    }

    /// <summary>
    /// Appends one Part B token and returns the next-token logits ([V], internal buffer, valid until the next call).
    /// Allocates nothing.
    /// </summary>
    public ReadOnlySpan<float> Decode(int token, int position, int blockPosition)
    {
        Run(new ReadOnlySpan<int>(in token), new ReadOnlySpan<int>(in position), new ReadOnlySpan<int>(in blockPosition), PartALength, allLogits: default);
        return _logits;
    }

    /// <summary>
    /// As <see cref="Prefill"/>, writing the logits at every token into <paramref name="logits"/> ([T, V] row-major);
    /// for tests and scoring.
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> blockPositions, int partALength, Span<float> logits)
    {
        if (logits.Length < (long)tokens.Length * _v)
        {
            throw new ArgumentException($"logits must hold {tokens.Length}·{_v} values.", nameof(logits));
        }
        Run(tokens, positions, blockPositions, partALength, logits);
    }

    private void Run(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> blockPositions, int partALength, Span<float> allLogits)
    {
        int start = Cache.Length;
        if (positions.Length != tokens.Length || blockPositions.Length != tokens.Length)
        {
            throw new ArgumentException($"{tokens.Length} tokens need as many positions and block positions (got {positions.Length} and {blockPositions.Length}).");
        }
        if (start > 0 && partALength != PartALength)
        {
            throw new ArgumentException($"this sequence's Part A holds {PartALength} tokens; a later call cannot make it {partALength}", nameof(partALength));
        }
        if (start + tokens.Length > ContextLength)
        {
            throw new GlmException($"the sequence would hold {start + tokens.Length} tokens; the context holds {ContextLength}");
        }
        if (partALength < 0 || (start < partALength && Math.Min(tokens.Length, BatchSize) < partALength - start))
        {
            throw new GlmException($"Part A ({partALength} tokens) must be given whole in the first call and fit one batch ({BatchSize} tokens)");
        }
        PartALength = partALength;
        for (int i = 0; i < tokens.Length; i += BatchSize)
        {
            int n = Math.Min(BatchSize, tokens.Length - i);
            Span<float> rows = allLogits.IsEmpty ? default : allLogits.Slice(i * _v, n * _v);
            Batch(tokens.Slice(i, n), positions.Slice(i, n), blockPositions.Slice(i, n), rows, last: i + n == tokens.Length);
        }
    }

    /// <summary>One batch of T tokens at cache rows start .. start + T − 1.</summary>
    private void Batch(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> blockPositions, Span<float> allLogits, bool last)
    {
        int T = tokens.Length, start = Cache.Length, c = _c;
        Span<float> x = _x.AsSpan(0, T * c), a = _a.AsSpan(0, T * c), tmp = _tmp.AsSpan(0, T * c);
        for (int t = 0; t < T; t++)
        {
            Check(tokens[t], _v, "token id");
            Check(positions[t], _positions, "position");
            Span<float> row = x.Slice(t * c, c);
            _w.WordEmbeddings.ReadRow(tokens[t], row);
            _w.PositionEmbeddings.ReadRow(positions[t], _row);
            Elementwise.Add(row, _row, row);
            if (_w.BlockPositionEmbeddings is { } block)
            {
                Check(blockPositions[t], _positions, "block position");
                block.ReadRow(blockPositions[t], _row);
                Elementwise.Add(row, _row, row);
            }
        }

        for (int l = 0; l < _w.Layers.Count; l++)
        {
            GlmLayerWeights layer = _w.Layers[l];
            float[] keys = Cache.Keys[l], values = Cache.Values[l];

            // Attention block: K and V of every token go to the cache before any query runs, so Part A sees all of itself.
            LayerNormRows.Apply(x, layer.InputNormWeight, layer.InputNormBias, _eps, a, T, c);
            Linear.Apply(_matMul, layer.Qkv, a, T, _qkv, layer.QkvBias, _scratch);
            for (int t = 0; t < T; t++)
            {
                int p = start + t;
                _qkv.AsSpan(t * 3 * c + c, c).CopyTo(keys.AsSpan(p * c, c));
                _qkv.AsSpan(t * 3 * c + 2 * c, c).CopyTo(values.AsSpan(p * c, c));
            }
            _attention.Run(_pool, _qkv, 3 * c, keys, values, start, T, _ctx, prefixVisible: PartALength);
            Linear.Apply(_matMul, layer.Dense, _ctx.AsSpan(0, T * c), T, tmp, layer.DenseBias, _scratch);
            Elementwise.Add(x, tmp, x);

            // MLP block: h -> 4h -> h with GeLU (tanh approximation).
            LayerNormRows.Apply(x, layer.PostNormWeight, layer.PostNormBias, _eps, a, T, c);
            Linear.Apply(_matMul, layer.Up, a, T, _up, layer.UpBias, _scratch);
            GeluTanh.Apply(_up.AsSpan(0, T * _f));
            Linear.Apply(_matMul, layer.Down, _up.AsSpan(0, T * _f), T, tmp, layer.DownBias, _scratch);
            Elementwise.Add(x, tmp, x);
        }
        Cache.Length = start + T;

        if (!allLogits.IsEmpty)
        {
            LayerNormRows.Apply(x, _w.FinalNormWeight, _w.FinalNormBias, _eps, a, T, c);
            Linear.Apply(_matMul, _w.WordEmbeddings, a, T, allLogits, null, _scratch);
            if (last)
            {
                allLogits.Slice((T - 1) * _v, _v).CopyTo(_logits);
            }
        }
        else if (last)
        {
            Span<float> h = a[..c];
            LayerNormRows.Apply(x.Slice((T - 1) * c, c), _w.FinalNormWeight, _w.FinalNormBias, _eps, h, 1, c);
            Linear.Apply(_matMul, _w.WordEmbeddings, h, 1, _logits, null, _scratch);
        }
    }

    private static void Check(int value, int count, string what)
    {
        if ((uint)value >= (uint)count)
        {
            throw new GlmException($"{what} {value} is outside 0..{count - 1}");
        }
    }
}

using Glm.Kernels.Quant;
using Glm.Kernels.Threading;

namespace Glm.Kernels.Dot;

/// <summary>
/// Runs <see cref="Dot.Gemv"/> and the prefill gemm across a <see cref="WorkerPool"/>: prepares the activation once into a
/// caller-provided scratch span, then splits weight rows between the threads. Allocates nothing per call (the row job
/// object is created once and reused). Not thread-safe: one call at a time per instance (use one per engine thread).
/// Does not own the pool.
/// </summary>
public sealed unsafe class MatMul
{
    /// <summary>
    /// Multiply-adds below which a chunk of rows is not worth handing to another thread: waking a worker costs more
    /// than the work (much more when the cores are busy with other processes), so a small product runs on the caller.
    /// </summary>
    private const long MinChunkWork = 64 * 1024;

    private readonly WorkerPool _pool;
    private readonly RowJob _job = new();
    private readonly PrepareJob _prep = new();

    /// <summary>Uses the widest instruction-set path this machine supports.</summary>
    public MatMul(WorkerPool pool)
        : this(pool, SimdPaths.Best)
    {
    }

    /// <summary>Uses <paramref name="path"/> (tests pin the 256-bit path on AVX-512 machines this way).</summary>
    public MatMul(WorkerPool pool, SimdPath path)
    {
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        Path = path;
        if (!SimdPaths.IsSupported(Path))
        {
            throw new PlatformNotSupportedException($"SIMD path {Path} is not supported here.");
        }
    }

    /// <summary>The instruction-set path every call uses.</summary>
    public SimdPath Path { get; }

    /// <summary>Scratch bytes the calls need for <paramref name="tokens"/> activation rows of <paramref name="cols"/>.</summary>
    public static int ScratchBytes(GgmlType weightType, int cols, int tokens = 1) =>
        Kernels.Dot.Gemv.ActivationType(weightType) == GgmlType.F32
            ? 0
            : checked((Kernels.Dot.Gemv.PreparedBytes(weightType, cols) + TransposedBytes(weightType, cols, tokens)) * tokens);

    /// <summary>Per token, room for the transposed quants the gemm micro-kernels read (none for a single token).</summary>
    private static int TransposedBytes(GgmlType weightType, int cols, int tokens) =>
        tokens >= 2 ? Kernels.Dot.Gemm.TransposedBytes(weightType, cols) : 0;

    /// <summary>
    /// <c>y[r] = dot(W row r, x)</c> for all <paramref name="rows"/> rows. <paramref name="w"/>: rows × cols values in
    /// <paramref name="weightType"/>; <paramref name="x"/>: cols floats; <paramref name="y"/>: rows floats;
    /// <paramref name="scratch"/>: at least <see cref="ScratchBytes"/> bytes, overwritten.
    /// </summary>
    public void Gemv(GgmlType weightType, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x,
        Span<float> y, Span<byte> scratch) =>
        Gemm(weightType, w, rows, cols, x, 1, y, scratch);

    /// <summary>
    /// Prefill: <c>y[t·rows + r] = dot(W row r, x[t·cols ..])</c> for T = <paramref name="tokens"/> activation rows.
    /// <paramref name="x"/>: T × cols floats; <paramref name="y"/>: T × rows floats; scratch as <see cref="ScratchBytes"/>.
    /// </summary>
    public void Gemm(GgmlType weightType, ReadOnlySpan<byte> w, int rows, int cols, ReadOnlySpan<float> x, int tokens,
        Span<float> y, Span<byte> scratch)
    {
        if (rows < 0 || w.Length < GgmlTypes.RowBytes(weightType, cols) * (long)rows)
        {
            throw new ArgumentException("The weight span is too small for rows × cols.", nameof(w));
        }
        fixed (byte* pw = w)
        {
            Gemm(weightType, pw, rows, cols, x, tokens, y, scratch);
        }
    }

    /// <summary>
    /// <see cref="Gemm(GgmlType, ReadOnlySpan{byte}, int, int, ReadOnlySpan{float}, int, Span{float}, Span{byte})"/>
    /// on weights behind a pointer (e.g. a memory-mapped tensor of 2 GiB or more): <paramref name="w"/> must point to
    /// rows × RowBytes(cols) readable bytes that stay valid for the call.
    /// </summary>
    public void Gemm(GgmlType weightType, byte* w, int rows, int cols, ReadOnlySpan<float> x, int tokens,
        Span<float> y, Span<byte> scratch)
    {
        GgmlTypes.RowBytes(weightType, cols);
        if (w == null || rows < 0 || tokens < 0 || x.Length < (long)tokens * cols || y.Length < (long)tokens * rows
            || scratch.Length < ScratchBytes(weightType, cols, tokens))
        {
            throw new ArgumentException("Weights, activations, outputs or scratch are too small for the shape.");
        }
        if (rows == 0 || tokens == 0)
        {
            return;
        }
        bool quantized = Kernels.Dot.Gemv.ActivationType(weightType) != GgmlType.F32;
        int prepBytes = Kernels.Dot.Gemv.PreparedBytes(weightType, cols);
        fixed (float* px = x)
        fixed (byte* ps = scratch)
        fixed (float* py = y)
        {
            byte* pt = ps + (long)tokens * prepBytes;
            if (quantized)
            {
                _prep.Set(weightType, px, cols, ps, pt, tokens, Path);
                try
                {
                    // Several tokens are prepared on all threads (quantize, sums and transposes: about 8 µs a token
                    // of 6848 values, a tenth of a batched decode step on one thread); one runs on the caller.
                    _pool.Run(_prep, tokens);
                }
                finally
                {
                    _prep.Clear();
                }
            }
            _job.Set(weightType, w, cols, quantized ? ps : (byte*)px, pt, tokens, py, rows, Path);
            try
            {
                long minChunk = Math.Max(tokens == 1 ? 16 : Glm.Kernels.Dot.Gemm.RowBlock, MinChunkWork / ((long)cols * tokens));
                _pool.Run(_job, rows, (int)Math.Min(minChunk, rows));
            }
            finally
            {
                _job.Clear();
            }
        }
    }

    /// <summary>Pointer-weight <see cref="Gemv(GgmlType, ReadOnlySpan{byte}, int, int, ReadOnlySpan{float}, Span{float}, Span{byte})"/>; see the pointer Gemm.</summary>
    public void Gemv(GgmlType weightType, byte* w, int rows, int cols, ReadOnlySpan<float> x, Span<float> y,
        Span<byte> scratch) =>
        Gemm(weightType, w, rows, cols, x, 1, y, scratch);

    /// <summary>Prepares activation rows [start, end): quantized, and transposed where the gemm reads them so.</summary>
    private sealed class PrepareJob : IRowJob
    {
        private GgmlType _type;
        private float* _x;
        private byte* _prepared;
        private byte* _transposed;
        private int _cols, _tokens;
        private SimdPath _path;

        public void Set(GgmlType type, float* x, int cols, byte* prepared, byte* transposed, int tokens, SimdPath path)
        {
            _type = type;
            _x = x;
            _cols = cols;
            _prepared = prepared;
            _transposed = transposed;
            _tokens = tokens;
            _path = path;
        }

        public void Clear()
        {
            _x = null;
            _prepared = null;
            _transposed = null;
        }

        public void Execute(int start, int end)
        {
            int prepBytes = Kernels.Dot.Gemv.PreparedBytes(_type, _cols);
            int tBytes = TransposedBytes(_type, _cols, _tokens);
            bool transposes = tBytes > 0 && Kernels.Dot.Gemm.Transposes(_type, _tokens, _path);
            for (int t = start; t < end; t++)
            {
                byte* prepared = _prepared + (long)t * prepBytes;
                Kernels.Dot.Gemv.Prepare(_type, new ReadOnlySpan<float>(_x + (long)t * _cols, _cols),
                    new Span<byte>(prepared, prepBytes));
                if (transposes)
                {
                    Kernels.Dot.Gemm.Transpose(_type, prepared, _cols / 32, _transposed + (long)t * tBytes, _tokens, _path);
                }
            }
        }
    }

    private sealed class RowJob : IRowJob
    {
        private GgmlType _type;
        private byte* _w;
        private byte* _x;
        private byte* _xT;
        private float* _y;
        private int _cols, _tokens, _rows;
        private SimdPath _path;

        public void Set(GgmlType type, byte* w, int cols, byte* x, byte* xT, int tokens, float* y, int rows, SimdPath path)
        {
            _type = type;
            _w = w;
            _cols = cols;
            _x = x;
            _xT = xT;
            _tokens = tokens;
            _y = y;
            _rows = rows;
            _path = path;
        }

        public void Clear()
        {
            _w = null;
            _x = null;
            _xT = null;
            _y = null;
        }

        public void Execute(int start, int end)
        {
            if (_tokens == 1)
            {
                Kernels.Dot.Gemv.RowsCore(_type, _w, _cols, _x, _y, start, end, _path);
            }
            else
            {
                Kernels.Dot.Gemm.RowsCore(_type, _w, _cols, _x, _xT, _tokens, _y, _rows, start, end, _path);
            }
        }
    }
}

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
        if (quantized)
        {
            for (int t = 0; t < tokens; t++)
            {
                Kernels.Dot.Gemv.Prepare(weightType, x.Slice(t * cols, cols), scratch.Slice(t * prepBytes, prepBytes));
            }
        }
        fixed (float* px = x)
        fixed (byte* ps = scratch)
        fixed (float* py = y)
        {
            byte* pt = ps + (long)tokens * prepBytes;
            int tBytes = TransposedBytes(weightType, cols, tokens);
            for (int t = 0; t < tokens && tBytes > 0 && Kernels.Dot.Gemm.Transposes(weightType, tokens, Path); t++)
            {
                Kernels.Dot.Gemm.Transpose(weightType, ps + (long)t * prepBytes, cols / 32, pt + (long)t * tBytes, tokens, Path);
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

using Glm.Kernels.Dot;
using Glm.Kernels.Quant;
using Glm.Kernels.Threading;

namespace Glm.Kernels.Tests;

public class GemvTests
{
    public static TheoryData<SimdPath> Paths() => TestUtil.Paths();

    private static readonly GgmlType[] Types =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q6_K];

    internal static byte[] Weights(GgmlType type, int rows, int cols, int seed)
    {
        float[] w = TestUtil.Gaussian(rows * cols, seed);
        var bytes = new byte[GgmlTypes.RowBytes(type, cols) * rows];
        int rb = GgmlTypes.RowBytes(type, cols);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> src = w.AsSpan(r * cols, cols);
            Span<byte> dst = bytes.AsSpan(r * rb, rb);
            switch (type)
            {
                case GgmlType.F32:
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(src).CopyTo(dst);
                    break;
                case GgmlType.F16:
                case GgmlType.BF16:
                    for (int i = 0; i < cols; i++)
                    {
                        ushort h = type == GgmlType.F16 ? Fp16.SingleToHalf(src[i]) : Fp16.SingleToBFloat16(src[i]);
                        BitConverter.TryWriteBytes(dst.Slice(2 * i, 2), h);
                    }
                    break;
                case GgmlType.Q8_0:
                    Q8_0.QuantizeReference(src, dst);
                    break;
                case GgmlType.Q4_0:
                    Q4_0.QuantizeReference(src, dst);
                    break;
                default:
                    Q6_K.QuantizeReference(src, dst);
                    break;
            }
        }
        return bytes;
    }

    private static float[] ReferenceRows(GgmlType type, byte[] w, int rows, int cols, float[] x)
    {
        var prep = new byte[Gemv.PreparedBytes(type, cols)];
        Gemv.Prepare(type, x, prep);
        var y = new float[rows];
        Gemv.Rows(type, w, cols, prep, y, 0, rows, SimdPath.Scalar);
        return y;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MatMulGemv_OddShapes_MatchReference(SimdPath path)
    {
        using var pool = new WorkerPool(3);
        var mm = new MatMul(pool, path);
        foreach (GgmlType type in Types)
        {
            int bs = GgmlTypes.BlockSize(type) == 1 ? 1 : GgmlTypes.BlockSize(type);
            foreach (int rows in new[] { 1, 3, 7, 17, 33, 100 })
            {
                foreach (int blocks in new[] { 1, 3, 5 })
                {
                    int cols = bs == 1 ? blocks * 37 : blocks * bs;
                    byte[] w = Weights(type, rows, cols, rows * 31 + cols);
                    float[] x = TestUtil.Gaussian(cols, cols);
                    float[] expected = ReferenceRows(type, w, rows, cols, x);
                    var y = new float[rows];
                    var scratch = new byte[MatMul.ScratchBytes(type, cols)];
                    mm.Gemv(type, w, rows, cols, x, y, scratch);
                    for (int r = 0; r < rows; r++)
                    {
                        TestUtil.Close(expected[r], y[r], Math.Sqrt(cols) * 4, TestUtil.ReorderTolerance, $"{type} {rows}x{cols} r={r}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void MatMulGemm_EqualsGemvPerToken(SimdPath path)
    {
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool, path);
        foreach (GgmlType type in Types)
        {
            int[] colsList = GgmlTypes.BlockSize(type) == 256 ? [512] : GgmlTypes.BlockSize(type) == 32 ? [96, 320, 1056] : [96, 101];
            foreach (int cols in colsList)
            foreach (int rows in new[] { 1, 5, 19, 40 })
            {
                byte[] w = Weights(type, rows, cols, rows);
                foreach (int tokens in new[] { 1, 2, 3, 4, 5, 7, 9 })
                {
                    float[] x = TestUtil.Gaussian(tokens * cols, tokens);
                    var y = new float[tokens * rows];
                    mm.Gemm(type, w, rows, cols, x, tokens, y, new byte[MatMul.ScratchBytes(type, cols, tokens)]);
                    for (int t = 0; t < tokens; t++)
                    {
                        float[] expected = ReferenceRows(type, w, rows, cols, x.AsSpan(t * cols, cols).ToArray());
                        for (int r = 0; r < rows; r++)
                        {
                            TestUtil.Close(expected[r], y[t * rows + r], Math.Sqrt(cols) * 4, TestUtil.ReorderTolerance,
                                $"{type} {rows}x{cols} T={tokens} t={t} r={r}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Rows_RejectsBadShapes()
    {
        var w = new byte[34];
        var x = new byte[34];
        var y = new float[1];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemv.Rows(GgmlType.Q8_0, w, 32, x, y, 0, 2, SimdPath.Scalar));
        Assert.Throws<ArgumentException>(() => Gemv.Rows(GgmlType.Q8_0, w, 33, x, y, 0, 1, SimdPath.Scalar));
    }

    [Fact]
    public void Gemv_AllocatesNothing()
    {
        const int rows = 256, cols = 1024;
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool);
        foreach (GgmlType type in Types)
        {
            byte[] w = Weights(type, rows, cols, 5);
            float[] x = TestUtil.Gaussian(cols, 6);
            var y = new float[rows];
            var scratch = new byte[MatMul.ScratchBytes(type, cols, 4)];
            var prep = new byte[Gemv.PreparedBytes(type, cols)];
            var x4 = TestUtil.Gaussian(4 * cols, 7);
            var y4 = new float[4 * rows];
            // Warm-up: first calls JIT (tiered compilation is off in this project).
            for (int i = 0; i < 200; i++)
            {
                mm.Gemv(type, w, rows, cols, x, y, scratch);
                mm.Gemm(type, w, rows, cols, x4, 4, y4, scratch);
                Gemv.Prepare(type, x, prep);
                Gemv.Rows(type, w, cols, prep, y, 0, rows, SimdPaths.Best);
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++)
            {
                mm.Gemv(type, w, rows, cols, x, y, scratch);
                mm.Gemm(type, w, rows, cols, x4, 4, y4, scratch);
                Gemv.Prepare(type, x, prep);
                Gemv.Rows(type, w, cols, prep, y, 0, rows, SimdPaths.Best);
            }
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.True(after == before, $"{type}: allocated {after - before} bytes");
        }
    }

    [Fact]
    public unsafe void PointerOverloads_MatchSpanOverloads()
    {
        using var pool = new WorkerPool(2);
        var mm = new MatMul(pool);
        const int rows = 13, cols = 256, tokens = 6;
        foreach (GgmlType type in Types)
        {
            byte[] w = Weights(type, rows, cols, 11);
            float[] x = TestUtil.Gaussian(tokens * cols, 12);
            var scratch = new byte[MatMul.ScratchBytes(type, cols, tokens)];
            var a = new float[tokens * rows];
            var b = new float[tokens * rows];
            mm.Gemm(type, w, rows, cols, x, tokens, a, scratch);
            fixed (byte* pw = w)
            {
                mm.Gemm(type, pw, rows, cols, x, tokens, b, scratch);
                Assert.Equal(a, b);
                mm.Gemv(type, pw, rows, cols, x.AsSpan(0, cols), b, scratch);
            }
            mm.Gemv(type, w, rows, cols, x.AsSpan(0, cols), a, scratch);
            Assert.Equal(a.AsSpan(0, rows).ToArray(), b.AsSpan(0, rows).ToArray());
        }
    }
}

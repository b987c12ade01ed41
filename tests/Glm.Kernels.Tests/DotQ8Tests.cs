using Glm.Kernels.Dot;
using Glm.Kernels.Quant;

namespace Glm.Kernels.Tests;

/// <summary>The Q8_0 gemv's padded last step (<see cref="DotQ8"/>): a row's last nb mod 8 blocks.</summary>
public class DotQ8Tests
{
    [Theory]
    [InlineData(3)]
    [InlineData(13)]
    [InlineData(214)]
    public unsafe void LastBlocks_IgnoreWhatFollowsTheRow(int nb)
    {
        // Row 0 is followed by a row of 0xff bytes: NaN scales, read in place by the row loop when it has 8 blocks or
        // more. Row 0's dot must not see them, on any path.
        byte[] row = GemvTests.Weights(GgmlType.Q8_0, 1, nb * 32, nb);
        var w = new byte[2 * row.Length];
        Array.Fill(w, (byte)0xff);
        row.CopyTo(w, 0);
        var x = new byte[Gemv.PreparedBytes(GgmlType.Q8_0, nb * 32)];
        Gemv.Prepare(GgmlType.Q8_0, TestUtil.Gaussian(nb * 32, nb + 1), x);
        foreach (SimdPath path in new[] { SimdPath.V256, SimdPath.V512 }.Where(SimdPaths.IsSupported))
        {
            var y = new float[2];
            fixed (byte* pw = w)
            fixed (byte* px = x)
            fixed (float* py = y)
            {
                float expected = DotQ8.Q8_0Reference(pw, px, nb);
                Gemv.RowsCore(GgmlType.Q8_0, pw, nb * 32, px, py, 0, 2, path);
                foreach (float got in new[] { DotQ8.Q8_0Dot(pw, px, nb, path), y[0] })
                {
                    Assert.False(float.IsNaN(got), $"nb={nb} {path}: NaN from past the row");
                    TestUtil.Close(expected, got, 32.0 * nb, TestUtil.ReorderTolerance, $"nb={nb} {path}");
                }
            }
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Glm.Kernels.Dot;

/// <summary>
/// Pieces of the quantized kernels' last step over a row's leftover blocks (fewer than a step's 8), run as a whole step
/// whose missing blocks are masked to add exactly +0 (<see cref="DotQ4"/>, <see cref="DotQ8"/>, <see cref="GemmQ8"/>).
/// </summary>
internal static unsafe class PaddedTail
{
    /// <summary>The lanes 0..7 of blocks that exist: all bits set in lane k when k &lt; <paramref name="count"/>, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Live(int count) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count));

    /// <summary>
    /// Where a step reads a row's last <paramref name="bytes"/>: the row itself when <paramref name="inPlace"/> (what
    /// follows is readable), else <paramref name="copy"/> (room for a whole step), into which they are copied first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte* Window(byte* row, int bytes, byte* copy, bool inPlace)
    {
        if (inPlace)
        {
            return row;
        }
        new ReadOnlySpan<byte>(row, bytes).CopyTo(new Span<byte>(copy, bytes));
        return copy;
    }
}

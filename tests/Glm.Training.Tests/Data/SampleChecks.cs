using Glm.Training.Data;

namespace Glm.Training.Tests.Data;

/// <summary>
/// Independent checks of a blank-infilling sample: layout, 2-D positions, loss placement, reconstruction of the
/// source from Part A + Part B targets, and the attention rule. Each check reads only the sample, not the collator.
/// </summary>
internal static class SampleChecks
{
    /// <summary>The attention rule of glm-spec 1.4 step 6: position i sees j iff j &lt; sep or j &lt;= i.</summary>
    public static bool[,] AttentionMask(int length, int sep)
    {
        var visible = new bool[length, length];
        for (int i = 0; i < length; i++)
            for (int j = 0; j < length; j++)
                visible[i, j] = j < sep || j <= i;
        return visible;
    }

    /// <summary>
    /// Asserts every rule and returns the spans in Part B order as (start in source, length). The attention check is
    /// O(L²); statistical tests over long sequences skip it.
    /// </summary>
    public static List<BlankSpan> AssertWellFormed(
        InfillSample s, ReadOnlySpan<int> source, InfillingOptions o, InfillMode mode, bool checkAttention = true)
    {
        int mask = mode switch { InfillMode.Token => o.Mask, InfillMode.Sentence => o.SMask, _ => o.GMask };
        int L = o.SeqLength, sep = s.PartALength, n = s.Length;
        Assert.Equal(mode, s.Mode);
        foreach (var array in new Array[] { s.InputIds, s.TargetIds, s.LossMask, s.PositionIds, s.BlockPositionIds })
            Assert.Equal(L, array.Length);
        Assert.InRange(n, sep, L);

        for (int i = n; i < L; i++)
            Expect(s.InputIds[i] == o.Pad && s.TargetIds[i] == 0 && s.LossMask[i] == 0, "padding is not pad/0/no-loss", i);
        var maskIndices = new HashSet<int>();
        for (int i = 0; i < sep; i++)
        {
            Expect(s.PositionIds[i] == i, "Part A position id is not its index", i);
            Expect(s.BlockPositionIds[i] == 0, "Part A block position is not 0", i);
            Expect(s.LossMask[i] == 0 && s.TargetIds[i] == 0, "Part A carries a target", i);
            Expect(s.InputIds[i] != o.Sop, "sop in Part A", i);
            if (s.InputIds[i] == mask) maskIndices.Add(i);
        }

        // Part B: segments [sop] + span, targets span + [eop], one shared position, block positions 1..|s|+1.
        var segmentByMask = new Dictionary<int, (int Begin, int Length)>();
        var order = new List<int>();
        int b = sep;
        while (b < n)
        {
            Expect(s.InputIds[b] == o.Sop, "Part B span does not start with sop", b);
            int at = s.PositionIds[b];
            Expect(maskIndices.Contains(at), "Part B span's position is not a mask token", b);
            Expect(!segmentByMask.ContainsKey(at), "two Part B spans for one mask", b);
            int e = b;
            while (s.TargetIds[e] != o.Eop)
            {
                Expect(s.TargetIds[e] == s.InputIds[e + 1], "Part B input is not the previous target", e);
                e++;
                Expect(e < n, "a Part B span runs past the sample without eop", e);
            }
            for (int q = b; q <= e; q++)
            {
                Expect(s.LossMask[q] == 1, "Part B position without loss", q);
                Expect(s.PositionIds[q] == at, "Part B position id is not its mask's", q);
                Expect(s.BlockPositionIds[q] == q - b + 1, "Part B block position is not 1..|s|+1", q);
            }
            Assert.True(e > b, "empty span");
            segmentByMask[at] = (b, e - b);
            order.Add(at);
            b = e + 1;
        }
        Assert.Equal(maskIndices.Count, segmentByMask.Count);

        // Reconstruct the source: Part A with each mask replaced by its span's targets; track where tokens came from.
        var rebuilt = new List<int>();
        var inputOrigin = Enumerable.Repeat(-1, L).ToArray();
        var targetOrigin = Enumerable.Repeat(-1, L).ToArray();
        var spanStart = new Dictionary<int, int>();
        for (int i = 0; i < sep; i++)
        {
            if (s.InputIds[i] != mask)
            {
                inputOrigin[i] = rebuilt.Count;
                rebuilt.Add(s.InputIds[i]);
                continue;
            }
            var (begin, length) = segmentByMask[i];
            spanStart[i] = rebuilt.Count;
            for (int q = 0; q < length; q++)
            {
                targetOrigin[begin + q] = rebuilt.Count;
                if (q > 0) inputOrigin[begin + q] = rebuilt.Count - 1;
                rebuilt.Add(s.TargetIds[begin + q]);
            }
            inputOrigin[begin + length] = rebuilt.Count - 1;
        }
        Assert.Equal(source.ToArray(), rebuilt.ToArray());
        Assert.Equal(n, source.Length + 2 * segmentByMask.Count);

        if (checkAttention) AssertNoLeak(s, inputOrigin, targetOrigin);
        return order.Select(at => new BlankSpan(spanStart[at], segmentByMask[at].Length)).ToList();
    }

    /// <summary>
    /// Under the attention rule, no Part A position sees Part B, and no position sees the source token it must predict.
    /// </summary>
    public static void AssertNoLeak(InfillSample s, int[] inputOrigin, int[] targetOrigin)
    {
        var visible = AttentionMask(s.Length, s.PartALength);
        for (int i = 0; i < s.Length; i++)
        {
            for (int j = 0; j < s.Length; j++)
            {
                if (!visible[i, j]) continue;
                if (i < s.PartALength && j >= s.PartALength) Assert.Fail($"Part A position {i} sees Part B position {j}");
                if (s.LossMask[i] > 0 && targetOrigin[i] >= 0 && inputOrigin[j] == targetOrigin[i])
                    Assert.Fail($"position {i} sees its own target at {j}");
            }
        }
    }

    private static void Expect(bool ok, string what, int index)
    {
        if (!ok) Assert.Fail($"{what} (index {index})");
    }
}

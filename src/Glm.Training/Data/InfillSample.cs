namespace Glm.Training.Data;

/// <summary>Which blank-infilling objective built a sample (glm-spec 1.5).</summary>
public enum InfillMode
{
    /// <summary>Short Poisson-length spans, each replaced by [MASK] (about 15% of the tokens).</summary>
    Token,

    /// <summary>Whole sentences, each replaced by [sMASK] (at least 15% of the tokens).</summary>
    Sentence,

    /// <summary>One suffix span of 50-100% of the text, replaced by [gMASK].</summary>
    Document,

    /// <summary>No blanks: plain next-token prediction (the left-to-right baseline).</summary>
    LeftToRight,
}

/// <summary>
/// One training sequence of fixed length L, laid out as <c>Part A ‖ Part B ‖ pad</c> (glm-spec 1.4). Every array has
/// length L. The attention rule is: position i sees position j iff <c>j &lt; PartALength || j &lt;= i</c>.
/// The sample owns its arrays; nothing else writes to them.
/// </summary>
public sealed record InfillSample
{
    /// <summary>Token ids fed to the model; pad id after <see cref="Length"/>.</summary>
    public required int[] InputIds { get; init; }

    /// <summary>The token to predict at each position; 0 where <see cref="LossMask"/> is 0.</summary>
    public required int[] TargetIds { get; init; }

    /// <summary>1 on positions that carry a target (Part B, or every position of a left-to-right sample), else 0.</summary>
    public required float[] LossMask { get; init; }

    /// <summary>Row 0 of the 2-D positions: index in the corrupted text; a span's Part B tokens share its mask's position.</summary>
    public required int[] PositionIds { get; init; }

    /// <summary>Row 1 of the 2-D positions: 0 over Part A, 1..|s|+1 over each Part B span starting at its sop.</summary>
    public required int[] BlockPositionIds { get; init; }

    /// <summary>Number of Part A tokens (<c>sep</c>): they attend to each other bidirectionally.</summary>
    public required int PartALength { get; init; }

    /// <summary>Number of non-pad tokens.</summary>
    public required int Length { get; init; }

    public required InfillMode Mode { get; init; }

    /// <summary>Fixed sequence length L (the length of every array).</summary>
    public int SeqLength => InputIds.Length;

    /// <summary>An all-pad sample of length <paramref name="seqLength"/> to fill in.</summary>
    internal static InfillSample Empty(int seqLength, int pad, InfillMode mode)
    {
        var input = new int[seqLength];
        Array.Fill(input, pad);
        return new InfillSample
        {
            InputIds = input,
            TargetIds = new int[seqLength],
            LossMask = new float[seqLength],
            PositionIds = new int[seqLength],
            BlockPositionIds = new int[seqLength],
            PartALength = 0,
            Length = 0,
            Mode = mode,
        };
    }
}

/// <summary>
/// A blank: the source tokens <c>[Start, Start + Length)</c> that Part A replaces by one mask token and Part B
/// predicts.
/// </summary>
public readonly record struct BlankSpan(int Start, int Length)
{
    public int End => Start + Length;
}

namespace Glm.Training.Data;

/// <summary>A blank in an inference prompt: its mask token's index in Part A (also its position id) and id.</summary>
public readonly record struct PromptBlank(int Position, int MaskId);

/// <summary>A model input for blank filling; all arrays have the same length, Part A first.</summary>
public sealed record InfillInput(int[] InputIds, int[] PositionIds, int[] BlockPositionIds, int PartALength);

/// <summary>
/// Inference-time blank filling (glm-spec 1.6, the <c>glm infill</c> command): Part A is the text with mask tokens,
/// positioned 0..|A|-1 with block position 0. Each blank, in text order, is generated from <c>[sop]</c> until
/// <c>[eop]</c>, every token at the blank's mask position with block positions 1, 2, …; earlier filled blanks stay in
/// the context as Part B spans, exactly as in training. Immutable.
/// </summary>
public sealed class InfillPrompt
{
    private readonly int[] _partA;

    private InfillPrompt(int[] partA, int sop, PromptBlank[] blanks)
    {
        _partA = partA;
        Sop = sop;
        Blanks = blanks;
    }

    /// <summary>Finds the blanks: every token of <paramref name="partA"/> that is one of <paramref name="maskIds"/>.</summary>
    public static InfillPrompt Create(ReadOnlySpan<int> partA, int sop, params ReadOnlySpan<int> maskIds)
    {
        var blanks = new List<PromptBlank>();
        for (int i = 0; i < partA.Length; i++)
            if (maskIds.Contains(partA[i])) blanks.Add(new PromptBlank(i, partA[i]));
        return new InfillPrompt(partA.ToArray(), sop, [.. blanks]);
    }

    public ReadOnlySpan<int> PartA => _partA;

    public int Sop { get; }

    /// <summary>The blanks in text order.</summary>
    public IReadOnlyList<PromptBlank> Blanks { get; }

    /// <summary>
    /// Position and block position of the token at <paramref name="step"/> of a blank's Part B span; step 0 is its
    /// sop. Use it to append generated tokens one at a time (e.g. with a KV cache).
    /// </summary>
    public static (int Position, int BlockPosition) StepPositions(PromptBlank blank, int step) => (blank.Position, step + 1);

    /// <summary>
    /// The whole input after the first <c>generated.Count</c> blanks were started: Part A, then for each started
    /// blank <c>[sop]</c> and its tokens so far (no eop). The model's prediction at the last position is the next
    /// token of blank <c>generated.Count - 1</c> (with no blank started, Part A alone).
    /// </summary>
    public InfillInput InputFor(IReadOnlyList<int[]> generated)
    {
        if (generated.Count > Blanks.Count)
            throw new ArgumentException($"{generated.Count} blanks started, but the prompt has {Blanks.Count}", nameof(generated));
        int length = _partA.Length + generated.Sum(g => g.Length + 1);
        var ids = new int[length];
        var pos = new int[length];
        var block = new int[length];
        _partA.CopyTo(ids, 0);
        for (int i = 0; i < _partA.Length; i++) pos[i] = i;
        int at = _partA.Length;
        for (int b = 0; b < generated.Count; b++)
        {
            ids[at] = Sop;
            generated[b].CopyTo(ids, at + 1);
            for (int step = 0; step <= generated[b].Length; step++)
                (pos[at + step], block[at + step]) = StepPositions(Blanks[b], step);
            at += generated[b].Length + 1;
        }
        return new InfillInput(ids, pos, block, _partA.Length);
    }

    /// <summary>Part A with each blank's mask token replaced by that blank's generated tokens (without eop).</summary>
    public int[] Fill(IReadOnlyList<int[]> filled)
    {
        if (filled.Count != Blanks.Count)
            throw new ArgumentException($"{filled.Count} fillings for {Blanks.Count} blanks", nameof(filled));
        var result = new List<int>(_partA.Length + filled.Sum(f => f.Length));
        int next = 0;
        for (int b = 0; b < Blanks.Count; b++)
        {
            result.AddRange(_partA.AsSpan(next, Blanks[b].Position - next));
            result.AddRange(filled[b]);
            next = Blanks[b].Position + 1;
        }
        result.AddRange(_partA.AsSpan(next));
        return [.. result];
    }
}

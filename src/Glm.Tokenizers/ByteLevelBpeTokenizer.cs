using Glm.Core;

namespace Glm.Tokenizers;

/// <summary>
/// Our own GLM tokenizer: byte-level BPE over GLM-4's pre-tokenizer pattern, with the ten GLM specials
/// (<see cref="GlmSpecialTokens.Glm4Order"/>) right after the mergeable tokens. Made by <see cref="BpeTrainer"/>,
/// stored as a Hugging Face tokenizer.json (<see cref="Save"/>, <see cref="Load"/>). Merges follow the merges list
/// (Hugging Face semantics), lowest rank first. Immutable and thread-safe.
/// </summary>
public sealed class ByteLevelBpeTokenizer : IGlmTokenizer
{
    private readonly ByteBpeCodec codec;

    /// <summary>
    /// <paramref name="mergeable"/>: bytes of the mergeable ids 0..N-1, all 256 single bytes among them.
    /// <paramref name="merges"/>: merges by rank as (left id, right id), each making a mergeable token.
    /// <paramref name="specials"/>: special tokens with ids N..V-1, each exactly once.
    /// Throws <see cref="GlmException"/> when the parts do not form a consistent tokenizer.
    /// </summary>
    internal ByteLevelBpeTokenizer(byte[][] mergeable, IReadOnlyList<(int Left, int Right)> merges,
        IReadOnlyList<(string Text, int Id)> specials)
    {
        var idOfBytes = new Dictionary<byte[], int>(ByteSequenceComparer.Instance);
        for (int id = 0; id < mergeable.Length; id++)
        {
            if (mergeable[id].Length == 0) throw new GlmException($"token {id} is empty");
            if (!idOfBytes.TryAdd(mergeable[id], id))
                throw new GlmException($"tokens {idOfBytes[mergeable[id]]} and {id} have the same bytes");
        }

        var byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            if (!idOfBytes.TryGetValue([(byte)b], out byteIds[b]))
                throw new GlmException($"the vocabulary lacks the single byte 0x{b:X2}; byte-level BPE needs all 256");
        }

        var rule = new Dictionary<long, (int Rank, int Merged)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            (int left, int right) = merges[rank];
            if ((uint)left >= (uint)mergeable.Length || (uint)right >= (uint)mergeable.Length)
                throw new GlmException($"merge {rank} ({left}, {right}) refers to a token outside 0..{mergeable.Length - 1}");
            if (!idOfBytes.TryGetValue([.. mergeable[left], .. mergeable[right]], out int merged))
                throw new GlmException($"merge {rank} ({left}, {right}) makes bytes that are not a token");
            if (!rule.TryAdd(PairMergeRule.Key(left, right), (rank, merged)))
                throw new GlmException($"merge {rank} ({left}, {right}) appears twice");
        }

        var tokenBytes = new byte[mergeable.Length + specials.Count][];
        mergeable.CopyTo(tokenBytes, 0);
        foreach ((string text, int id) in specials)
        {
            if (id < mergeable.Length || id >= tokenBytes.Length || tokenBytes[id] is not null)
                throw new GlmException($"special token {text} has id {id}; specials must take ids {mergeable.Length}..{tokenBytes.Length - 1}, one each");
            tokenBytes[id] = System.Text.Encoding.UTF8.GetBytes(text);
        }

        Mergeable = mergeable;
        Merges = [.. merges];
        codec = new ByteBpeCodec(tokenBytes, byteIds, new SpecialTokenTable(specials), new MergeEncoder(new PairMergeRule(rule), byteIds));
    }

    public int VocabSize => codec.VocabSize;

    public SpecialTokenIds Special => codec.Specials.Ids;

    /// <summary>Number of merges (mergeable tokens = 256 bytes + merges when built by <see cref="BpeTrainer"/>).</summary>
    public int MergeCount => Merges.Length;

    internal byte[][] Mergeable { get; }

    internal (int Left, int Right)[] Merges { get; }

    internal IReadOnlyList<(string Text, int Id)> SpecialTokens => codec.Specials.Tokens;

    /// <summary>
    /// Builds the tokenizer a run of merges defines: ids 0..255 are the bytes, id 256 + i is merge i, then the ten
    /// GLM specials in <see cref="GlmSpecialTokens.Glm4Order"/>.
    /// </summary>
    internal static ByteLevelBpeTokenizer FromMerges(IReadOnlyList<(int Left, int Right)> merges)
    {
        var mergeable = new byte[256 + merges.Count][];
        for (int b = 0; b < 256; b++) mergeable[b] = [(byte)b];
        for (int i = 0; i < merges.Count; i++)
            mergeable[256 + i] = [.. mergeable[merges[i].Left], .. mergeable[merges[i].Right]];

        var specials = GlmSpecialTokens.Glm4Order.Select((text, i) => (text, mergeable.Length + i)).ToArray();
        return new ByteLevelBpeTokenizer(mergeable, merges, specials);
    }

    /// <summary>Reads a tokenizer.json written by <see cref="Save"/> (or any byte-level BPE tokenizer.json that uses
    /// GLM-4's split pattern). Throws <see cref="GlmException"/> naming the file and the problem.</summary>
    public static ByteLevelBpeTokenizer Load(string path) => HfTokenizerJson.Read(path);

    /// <summary>Writes a Hugging Face tokenizer.json; a temporary file in the same folder is renamed over
    /// <paramref name="path"/>, so readers never see a half-written file.</summary>
    public void Save(string path) => HfTokenizerJson.Write(this, path);

    public int[] Encode(string text) => codec.Encode(text);

    public int[] EncodeWithSpecialTokens(string text) => codec.EncodeWithSpecialTokens(text);

    public int[] EncodeBytes(ReadOnlySpan<byte> utf8) => codec.EncodeBytes(utf8);

    public byte[] DecodeBytes(ReadOnlySpan<int> ids) => codec.DecodeBytes(ids);

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => codec.Decode(ids, skipSpecialTokens);

    public string TokenText(int id) => codec.TokenText(id);

    public bool IsSpecial(int id) => codec.IsSpecial(id);

    private sealed class MergeEncoder(PairMergeRule rule, int[] byteIds) : IPieceEncoder
    {
        public void EncodePiece(ReadOnlySpan<byte> piece, List<int> output) => BytePairMerge.Encode(piece, rule, byteIds, output);
    }
}

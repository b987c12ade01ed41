using Glm.Core;

namespace Glm.Tokenizers;

/// <summary>
/// GLM-4's tiktoken tokenizer (glm-spec.md 3.3): <c>tokenizer.model</c> holds lines <c>base64(bytes) rank</c>, the
/// rank is the id, and the 14 specials follow the last rank (151329.. in GLM-4-9B). Encoding is tiktoken's: GLM-4's
/// pre-tokenizer, then per piece the whole piece if it is a token, else lowest-rank byte-pair merges.
/// <para>
/// Not built on Microsoft.ML.Tokenizers' TiktokenTokenizer: its pre-tokenizer is .NET Regex over UTF-16, where
/// astral letters are not <c>\p{L}</c> (spec pitfall 11, so ids would differ from GLM-4's), and it works on strings
/// only, so invalid UTF-8 and tokens that hold part of a character cannot round-trip through its API.
/// </para>
/// Immutable and thread-safe.
/// </summary>
public sealed class Glm4Tokenizer : IGlmTokenizer
{
    private readonly ByteBpeCodec codec;

    private Glm4Tokenizer(ByteBpeCodec codec) => this.codec = codec;

    public int VocabSize => codec.VocabSize;

    public SpecialTokenIds Special => codec.Specials.Ids;

    /// <summary>Reads a GLM-4 tiktoken file. Throws <see cref="GlmException"/> naming the file and the line that does
    /// not fit (bad base64, a rank that is not the next id, a missing single byte).</summary>
    public static Glm4Tokenizer Load(string path)
    {
        List<byte[]> tokens;
        try
        {
            tokens = ReadRanks(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmException($"cannot read GLM-4 tokenizer {path}: {e.Message}", e);
        }

        var ranks = new Dictionary<byte[], int>(tokens.Count, ByteSequenceComparer.Instance);
        for (int id = 0; id < tokens.Count; id++)
        {
            if (!ranks.TryAdd(tokens[id], id))
                throw new GlmException($"GLM-4 tokenizer {path}: ranks {ranks[tokens[id]]} and {id} have the same bytes");
        }

        var byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            if (!ranks.TryGetValue([(byte)b], out byteIds[b]))
                throw new GlmException($"GLM-4 tokenizer {path}: no rank for the single byte 0x{b:X2}");
        }

        string[] specialTexts = [.. GlmSpecialTokens.Glm4Order, .. GlmSpecialTokens.Glm4Multimodal];
        var specials = specialTexts.Select((text, i) => (text, tokens.Count + i)).ToArray();
        byte[][] tokenBytes = [.. tokens, .. specialTexts.Select(System.Text.Encoding.UTF8.GetBytes)];

        var encoder = new RankEncoder(ranks.GetAlternateLookup<ReadOnlySpan<byte>>(), byteIds);
        return new Glm4Tokenizer(new ByteBpeCodec(tokenBytes, byteIds, new SpecialTokenTable(specials), encoder));
    }

    public int[] Encode(string text) => codec.Encode(text);

    public int[] EncodeWithSpecialTokens(string text) => codec.EncodeWithSpecialTokens(text);

    public int[] EncodeBytes(ReadOnlySpan<byte> utf8) => codec.EncodeBytes(utf8);

    public byte[] DecodeBytes(ReadOnlySpan<int> ids) => codec.DecodeBytes(ids);

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => codec.Decode(ids, skipSpecialTokens);

    public string TokenText(int id) => codec.TokenText(id);

    public bool IsSpecial(int id) => codec.IsSpecial(id);

    private static List<byte[]> ReadRanks(string path)
    {
        var tokens = new List<byte[]>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;

            string[] fields = line.Split(' ');
            if (fields.Length != 2 || !int.TryParse(fields[1], out int rank))
                throw new GlmException($"GLM-4 tokenizer {path} line {lineNumber}: expected \"base64 rank\"");
            if (rank != tokens.Count)
                throw new GlmException($"GLM-4 tokenizer {path} line {lineNumber}: rank {rank}, expected {tokens.Count} (ranks must count up from 0)");

            var bytes = new byte[fields[0].Length];
            if (!Convert.TryFromBase64String(fields[0], bytes, out int length) || length == 0)
                throw new GlmException($"GLM-4 tokenizer {path} line {lineNumber}: \"{fields[0]}\" is not base64 of a non-empty token");
            tokens.Add(bytes[..length]);
        }

        if (tokens.Count == 0) throw new GlmException($"GLM-4 tokenizer {path} has no ranks");
        return tokens;
    }

    private sealed class RankEncoder(Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> ranks, int[] byteIds) : IPieceEncoder
    {
        public void EncodePiece(ReadOnlySpan<byte> piece, List<int> output)
        {
            if (ranks.TryGetValue(piece, out int whole)) output.Add(whole);
            else BytePairMerge.Encode(piece, new RankMergeRule(ranks), byteIds, output);
        }
    }
}

using System.Text;
using System.Text.RegularExpressions;
using Glm.Core;
using Microsoft.ML.Tokenizers;

namespace Glm.Tokenizers;

/// <summary>
/// ChatGLM2/3's SentencePiece tokenizer (glm-spec.md 3.2): the pieces of <c>tokenizer.model</c> (64789 in
/// ChatGLM3-6B), then nine specials: <c>[MASK] [gMASK] [sMASK] &lt;sop&gt; &lt;eop&gt;</c> and the four role tokens.
/// Hugging Face spells sop/eop as bare <c>sop</c>/<c>eop</c>; here they take GLM-4's spellings so that ordinary words
/// never look like specials. <see cref="SpecialTokenIds.EndOfText"/> is SentencePiece's eos (<c>&lt;/s&gt;</c>, 2).
/// <para>
/// <see cref="Encode"/> is <c>sp.encode(text)</c>: SentencePiece adds its dummy-prefix space (id 30910 on its own)
/// to every call, which is why ChatGLM3 prompts encode each part separately (spec pitfall 10). Decoding drops that
/// space at the start of the ids and after each special, the inverse of encoding each segment separately; decode a
/// whole sequence rather than slices of it. SentencePiece's own control pieces (&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;)
/// count as specials here. Text round-trips exactly when the model's normalizer is identity and keeps extra spaces.
/// </para>
/// Built on Microsoft.ML.Tokenizers' SentencePieceTokenizer. Immutable and thread-safe.
/// </summary>
public sealed partial class ChatGlm3Tokenizer : IGlmTokenizer
{
    private const char SpaceSymbol = '\u2581'; // SentencePiece's '▁'

    private readonly SentencePieceTokenizer sp;
    private readonly string[] pieces; // SentencePiece's spelling of each piece id
    private readonly byte[][] tokenBytes; // decoded bytes of every id (specials: their text)
    private readonly bool[] special;
    private readonly bool[] dummyPrefixCarrier; // normal pieces that start with '▁'
    private readonly int[]? byteIds; // null without byte fallback
    private readonly SpecialTokenTable specials;

    private ChatGlm3Tokenizer(SentencePieceTokenizer sp)
    {
        this.sp = sp;
        pieces = new string[sp.Vocabulary.Count];
        foreach ((string piece, int id) in sp.Vocabulary) pieces[id] = piece;

        string[] glmSpecials = [GlmSpecialTokens.Mask, GlmSpecialTokens.GMask, GlmSpecialTokens.SMask, GlmSpecialTokens.Sop,
            GlmSpecialTokens.Eop, GlmSpecialTokens.System, GlmSpecialTokens.User, GlmSpecialTokens.Assistant, GlmSpecialTokens.Observation];
        specials = new SpecialTokenTable(glmSpecials.Select((text, i) => (text, pieces.Length + i)).ToArray(), sp.EndOfSentenceId);

        int vocab = pieces.Length + glmSpecials.Length;
        tokenBytes = new byte[vocab][];
        special = new bool[vocab];
        dummyPrefixCarrier = new bool[vocab];
        if (sp.ByteFallback) byteIds = Enumerable.Repeat(-1, 256).ToArray();
        for (int id = 0; id < pieces.Length; id++)
        {
            string piece = pieces[id];
            if (id == sp.UnknownId || id == sp.BeginningOfSentenceId || id == sp.EndOfSentenceId)
            {
                special[id] = true;
                tokenBytes[id] = Encoding.UTF8.GetBytes(piece);
            }
            else if (byteIds is not null && BytePiece().Match(piece) is { Success: true } m)
            {
                byte b = Convert.ToByte(m.Groups[1].Value, 16);
                byteIds[b] = id;
                tokenBytes[id] = [b];
            }
            else
            {
                tokenBytes[id] = Encoding.UTF8.GetBytes(sp.EscapeWhiteSpaces ? piece.Replace(SpaceSymbol, ' ') : piece);
                dummyPrefixCarrier[id] = sp.AddDummyPrefix && piece.StartsWith(sp.EscapeWhiteSpaces ? SpaceSymbol : ' ');
            }
        }
        foreach ((string text, int id) in specials.Tokens)
        {
            special[id] = true;
            tokenBytes[id] = Encoding.UTF8.GetBytes(text);
        }
    }

    public int VocabSize => tokenBytes.Length;

    public SpecialTokenIds Special => specials.Ids;

    /// <summary>Reads a SentencePiece model file. Throws <see cref="GlmException"/> naming the file if it is missing,
    /// is not a SentencePiece model, or has byte pieces that do not cover all 256 bytes.</summary>
    public static ChatGlm3Tokenizer Load(string path)
    {
        byte[] model;
        try
        {
            model = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmException($"cannot read SentencePiece tokenizer {path}: {e.Message}", e);
        }

        SentencePieceTokenizer sp;
        try
        {
            sp = SentencePieceTokenizer.Create(new MemoryStream(model), addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException) // protobuf and ML.Tokenizers throw several types
        {
            throw new GlmException($"{path} is not a SentencePiece model ({e.GetType().Name}: {e.Message})", e);
        }

        if (sp.Vocabulary.Count == 0) throw new GlmException($"SentencePiece tokenizer {path} has no pieces");
        var tokenizer = new ChatGlm3Tokenizer(sp);
        if (tokenizer.byteIds is not null && tokenizer.byteIds.Contains(-1))
            throw new GlmException($"SentencePiece tokenizer {path} uses byte fallback but lacks some of the pieces <0x00>..<0xFF>");
        return tokenizer;
    }

    public int[] Encode(string text) =>
        text.Length == 0 ? [] : [.. sp.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false)];

    public int[] EncodeWithSpecialTokens(string text) => specials.Encode(text, Encode);

    /// <summary>Valid UTF-8 encodes as <see cref="Encode"/>. Bytes that are not valid UTF-8 become byte pieces, and the
    /// text after them is encoded with no dummy prefix and with spaces escaped as the only normalization.</summary>
    public int[] EncodeBytes(ReadOnlySpan<byte> utf8)
    {
        if (System.Text.Unicode.Utf8.IsValid(utf8)) return Encode(Encoding.UTF8.GetString(utf8));
        if (byteIds is null) throw new GlmException("this SentencePiece model has no byte pieces, so it cannot encode invalid UTF-8");

        var ids = new List<int>();
        bool atStart = true;
        while (!utf8.IsEmpty)
        {
            int valid = ValidPrefixLength(utf8);
            if (valid > 0)
            {
                string text = Encoding.UTF8.GetString(utf8[..valid]);
                ids.AddRange(atStart ? Encode(text)
                    : sp.EncodeToIds(sp.EscapeWhiteSpaces ? text.Replace(' ', SpaceSymbol) : text, false, false, considerNormalization: false));
                utf8 = utf8[valid..];
            }
            else
            {
                System.Text.Rune.DecodeFromUtf8(utf8, out _, out int invalid);
                foreach (byte b in utf8[..invalid]) ids.Add(byteIds[b]);
                utf8 = utf8[invalid..];
            }
            atStart = false;
        }
        return [.. ids];
    }

    public byte[] DecodeBytes(ReadOnlySpan<int> ids) => DecodeBytes(ids, skipSpecialTokens: false);

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) =>
        Encoding.UTF8.GetString(DecodeBytes(ids, skipSpecialTokens));

    /// <summary>The piece as SentencePiece spells it (<c>▁Hello</c>, <c>&lt;0x0A&gt;</c>), or the special's text.</summary>
    public string TokenText(int id) => CheckId(id) < pieces.Length ? pieces[id] : Encoding.UTF8.GetString(tokenBytes[id]);

    public bool IsSpecial(int id) => special[CheckId(id)];

    private byte[] DecodeBytes(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        using var output = new MemoryStream();
        bool runStart = true; // at the start, or right after a special: where the encoder put a dummy prefix
        foreach (int id in ids)
        {
            CheckId(id);
            if (special[id])
            {
                if (!skipSpecialTokens) output.Write(tokenBytes[id]);
                runStart = true;
                continue;
            }
            output.Write(runStart && dummyPrefixCarrier[id] ? tokenBytes[id].AsSpan(1) : tokenBytes[id]);
            runStart = false;
        }
        return output.ToArray();
    }

    private static int ValidPrefixLength(ReadOnlySpan<byte> utf8)
    {
        int length = 0;
        while (length < utf8.Length && System.Text.Rune.DecodeFromUtf8(utf8[length..], out _, out int used) == System.Buffers.OperationStatus.Done)
            length += used;
        return length;
    }

    private int CheckId(int id) =>
        (uint)id < (uint)tokenBytes.Length ? id : throw new GlmException($"token id {id} is outside the vocabulary (0..{tokenBytes.Length - 1})");

    [GeneratedRegex("^<0x([0-9A-F]{2})>$")]
    private static partial Regex BytePiece();
}

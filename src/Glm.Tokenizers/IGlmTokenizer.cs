namespace Glm.Tokenizers;

/// <summary>
/// A GLM tokenizer: ours (<see cref="ByteLevelBpeTokenizer"/>), GLM-4's tiktoken file (<see cref="Glm4Tokenizer"/>)
/// or ChatGLM2/3's SentencePiece file (<see cref="ChatGlm3Tokenizer"/>). Implementations are immutable and safe to
/// use from several threads at once. No method adds the <c>[gMASK]&lt;sop&gt;</c> prefix; that is
/// <see cref="ChatTemplate"/>'s job.
/// </summary>
public interface IGlmTokenizer
{
    /// <summary>Number of token ids, specials included; every id in <c>0..VocabSize-1</c> decodes.</summary>
    int VocabSize { get; }

    SpecialTokenIds Special { get; }

    /// <summary>
    /// Ordinary encoding. Text that spells a special token (such as the characters <c>[MASK]</c>) is encoded as
    /// plain text and never yields a special id, so user text cannot inject control tokens.
    /// </summary>
    int[] Encode(string text);

    /// <summary>
    /// Like <see cref="Encode"/>, except that literal special-token strings in <paramref name="text"/> become their
    /// special ids (for trusted text such as <c>glm infill "The [MASK] sat"</c>).
    /// </summary>
    int[] EncodeWithSpecialTokens(string text);

    /// <summary>Ordinary encoding of raw bytes; any byte sequence, invalid UTF-8 included, round-trips through
    /// <see cref="DecodeBytes"/>.</summary>
    int[] EncodeBytes(ReadOnlySpan<byte> utf8);

    /// <summary>The exact bytes of <paramref name="ids"/>; specials contribute their text. Throws
    /// <see cref="Glm.Core.GlmException"/> for an id outside the vocabulary.</summary>
    byte[] DecodeBytes(ReadOnlySpan<int> ids);

    /// <summary>Decodes to text (invalid UTF-8 becomes U+FFFD); specials appear as their text unless skipped.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    /// <summary>A readable form of one token for display and debugging; bytes that are not valid UTF-8 on their own
    /// are shown as <c>\xNN</c>.</summary>
    string TokenText(int id);

    bool IsSpecial(int id);
}

namespace Glm.Tokenizers;

/// <summary>
/// The GLM special tokens, spelled as GLM-4 spells them (glm-spec.md 3.3). Our own tokenizers append
/// <see cref="Glm4Order"/> right after the mergeable (byte + merged) tokens, in that order.
/// </summary>
public static class GlmSpecialTokens
{
    public const string EndOfText = "<|endoftext|>";
    public const string Mask = "[MASK]";
    public const string GMask = "[gMASK]";
    public const string SMask = "[sMASK]";
    public const string Sop = "<sop>";
    public const string Eop = "<eop>";
    public const string System = "<|system|>";
    public const string User = "<|user|>";
    public const string Assistant = "<|assistant|>";
    public const string Observation = "<|observation|>";

    /// <summary>The ten GLM specials in GLM-4 id order (151329.. in GLM-4, right after the merges in ours).</summary>
    public static IReadOnlyList<string> Glm4Order { get; } =
        [EndOfText, Mask, GMask, SMask, Sop, Eop, System, User, Assistant, Observation];

    /// <summary>The four multimodal specials GLM-4 appends after <see cref="Glm4Order"/> (151339..151342).</summary>
    public static IReadOnlyList<string> Glm4Multimodal { get; } =
        ["<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>", "<|end_of_video|>"];
}

/// <summary>
/// Ids of the GLM special tokens in one tokenizer; -1 where the tokenizer has no such token.
/// <see cref="EndOfText"/> is the id that ends a document (for ChatGLM3, whose vocabulary has no
/// <c>&lt;|endoftext|&gt;</c>, it is SentencePiece's eos <c>&lt;/s&gt;</c>).
/// </summary>
public sealed record SpecialTokenIds(
    int EndOfText, int Mask, int GMask, int SMask, int Sop, int Eop,
    int System, int User, int Assistant, int Observation);

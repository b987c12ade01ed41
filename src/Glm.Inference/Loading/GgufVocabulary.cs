using System.Text.Encodings.Web;
using System.Text.Json;
using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Tokenizers;

namespace Glm.Inference.Loading;

/// <summary>
/// Opens the vocabulary a GGUF file carries in its <c>tokenizer.ggml.*</c> keys as a <see cref="ByteLevelBpeTokenizer"/>:
/// the GPT-2 style byte-level BPE (<c>model</c> "gpt2", <c>pre</c> "chatglm-bpe" or "glm4") that llama.cpp writes for
/// GLM-4 and GLM-4-0414 and <see cref="GgufTokenizerMetadata"/> writes for ours. Tokens of type normal must take ids
/// 0..N-1, then control and user-defined tokens (the GLM specials), then unused padding (<c>[PAD{id}]</c>), which is
/// dropped. The tokens are already spelled in GPT-2's byte alphabet, as tokenizer.json spells them, so the keys are
/// rewritten as a tokenizer.json (in a temporary file, deleted again) and read by <see cref="ByteLevelBpeTokenizer.Load"/>,
/// the one reader of that format. Stateless and thread-safe.
/// </summary>
internal static class GgufVocabulary
{
    /// <summary>
    /// GLM-4's pre-tokenizer pattern, exactly as the tokenizers project writes it into tokenizer.json; its loader refuses
    /// any other pattern, so a drift here fails loudly rather than tokenizing differently.
    /// </summary>
    private const string Glm4Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly string[] Glm4PreTokenizers = ["chatglm-bpe", "glm4"];

    /// <summary>
    /// The tokenizer of <paramref name="file"/>. Throws <see cref="GlmException"/> naming the file when it has no
    /// vocabulary, a model other than gpt2, a pre-tokenizer other than GLM-4's, or tokens out of the order above.
    /// </summary>
    public static ByteLevelBpeTokenizer Load(GgufFile file)
    {
        var meta = file.Metadata;
        if (!meta.TryGetString(GgufTokenizerMetadata.ModelKey, out string? model))
        {
            throw new GlmException($"GGUF file {file.Path} comes with no tokenizer GlmSharp can read: it has no " +
                $"'{GgufTokenizerMetadata.ModelKey}' vocabulary and no tokenizer.json beside it (or pass token ids)");
        }
        string pre = meta.TryGetString(GgufTokenizerMetadata.PreKey, out string? p) ? p : "(none)";
        if (model != "gpt2" || !Glm4PreTokenizers.Contains(pre))
        {
            throw new GlmException($"GGUF file {file.Path}: its vocabulary is tokenizer.ggml.model '{model}' with pre-tokenizer " +
                $"'{pre}'; GlmSharp reads GLM-4's byte-level BPE (gpt2 with {string.Join(" or ", Glm4PreTokenizers)})");
        }
        var tokens = meta.GetStringArray(GgufTokenizerMetadata.TokensKey);
        var types = meta.TryGetArray<int>(GgufTokenizerMetadata.TokenTypeKey, out var t) ? t : null;
        var merges = meta.TryGetArray<string>(GgufTokenizerMetadata.MergesKey, out var m) ? m : [];
        if (types is not null && types.Count != tokens.Count)
        {
            throw new GlmException($"GGUF file {file.Path}: {tokens.Count} tokens but {types.Count} token types");
        }

        string path = Path.Combine(Path.GetTempPath(), $"glm-gguf-vocab-{Guid.NewGuid():N}.json");
        try
        {
            using (var stream = File.Create(path))
            {
                WriteTokenizerJson(stream, tokens, types, merges);
            }
            return ByteLevelBpeTokenizer.Load(path);
        }
        catch (GlmException e)
        {
            throw new GlmException($"GGUF file {file.Path}: its vocabulary does not make a tokenizer: {e.Message}", e);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void WriteTokenizerJson(Stream stream, IReadOnlyList<string> tokens, IReadOnlyList<int>? types,
        IReadOnlyList<string> merges)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        int Type(int id) => types?[id] ?? GgufTokenizerMetadata.TypeNormal;
        int normal = 0;
        while (normal < tokens.Count && Type(normal) == GgufTokenizerMetadata.TypeNormal) normal++;
        int special = normal;
        while (special < tokens.Count && Type(special) is GgufTokenizerMetadata.TypeControl or GgufTokenizerMetadata.TypeUserDefined) special++;
        for (int id = special; id < tokens.Count; id++)
        {
            if (Type(id) != GgufTokenizerMetadata.TypeUnused)
            {
                throw new GlmException($"token {id} '{tokens[id]}' has type {Type(id)} after the special tokens; " +
                    "GlmSharp reads normal tokens first, then control and user-defined ones, then unused padding");
            }
        }

        json.WriteStartObject();
        json.WriteStartArray("added_tokens");
        for (int id = normal; id < special; id++)
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", tokens[id]);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", Glm4Pattern);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteStartObject("vocab");
        for (int id = 0; id < normal; id++) json.WriteNumber(tokens[id], id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach (string merge in merges) json.WriteStringValue(merge);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

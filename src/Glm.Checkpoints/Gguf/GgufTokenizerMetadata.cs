using System.Text.Json;
using Glm.Core;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Writes a byte-level BPE tokenizer.json (Hugging Face tokenizers format) as llama.cpp's GPT-2 style GGUF vocabulary,
/// the form GLM-4 files use (glm-spec.md 2.6): <c>tokenizer.ggml.model</c> = "gpt2", <c>pre</c> = "chatglm-bpe",
/// <c>tokens</c> (the vocab strings as tokenizer.json has them, i.e. GPT-2 byte-to-unicode mapped), <c>token_type</c>,
/// <c>merges</c> ("a b" strings), and the eos/unk/eot ids where the vocabulary has GLM's special tokens.
/// Stateless and thread-safe.
/// </summary>
/// <remarks>
/// The token list is padded to the model's vocabulary size (the embedding rows), since llama.cpp sizes the embedding by
/// it; ids the tokenizer leaves empty become <c>[PAD{id}]</c> of type unused. Token types follow llama.cpp's converter:
/// 1 normal, 3 control (special added tokens), 4 user-defined (other added tokens), 5 unused (padding).
/// </remarks>
public static class GgufTokenizerMetadata
{
    public const string ModelKey = "tokenizer.ggml.model";
    public const string PreKey = "tokenizer.ggml.pre";
    public const string TokensKey = "tokenizer.ggml.tokens";
    public const string TokenTypeKey = "tokenizer.ggml.token_type";
    public const string MergesKey = "tokenizer.ggml.merges";
    public const string UnknownTokenIdKey = "tokenizer.ggml.unknown_token_id";
    public const string EotTokenIdKey = "tokenizer.ggml.eot_token_id";

    public const int TypeNormal = 1, TypeControl = 3, TypeUserDefined = 4, TypeUnused = 5;

    /// <summary>
    /// Reads <paramref name="tokenizerJsonPath"/> and sets the <c>tokenizer.ggml.*</c> keys on <paramref name="writer"/>,
    /// padding the tokens to <paramref name="vocabSize"/>. An eos id already set (from config.json) is kept; otherwise
    /// <c>&lt;|endoftext|&gt;</c> is used. Throws <see cref="GlmException"/> naming the file when it is not a BPE
    /// tokenizer.json, or its ids do not fit the vocabulary size.
    /// </summary>
    public static void Write(GgufWriter writer, string tokenizerJsonPath, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var (tokens, types, merges) = Read(tokenizerJsonPath, vocabSize);
        writer.SetString(ModelKey, "gpt2");
        writer.SetString(PreKey, "chatglm-bpe");
        writer.SetStrings(TokensKey, tokens);
        writer.Set(TokenTypeKey, GgufValue.Array(types));
        writer.SetStrings(MergesKey, merges);
        int endOfText = Array.IndexOf(tokens, "<|endoftext|>");
        if (endOfText >= 0)
        {
            writer.SetUInt32(UnknownTokenIdKey, (uint)endOfText);
            if (!writer.Contains(GgufChatGlmConfig.EosTokenIdKey)) writer.SetUInt32(GgufChatGlmConfig.EosTokenIdKey, (uint)endOfText);
        }
        int user = Array.IndexOf(tokens, "<|user|>");
        if (user >= 0) writer.SetUInt32(EotTokenIdKey, (uint)user);
    }

    private static (string[] Tokens, int[] Types, List<string> Merges) Read(string path, int vocabSize)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new GlmException($"{path} is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model)
                || model.ValueKind != JsonValueKind.Object || !model.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || type.GetString() != "BPE" || !model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new GlmException($"{path} is not a BPE tokenizer.json (model.type \"BPE\" with a vocab object)");
            var tokens = new string?[vocabSize];
            var types = new int[vocabSize];
            void Put(string token, JsonElement idElement, int tokenType)
            {
                if (!idElement.TryGetInt32(out int id) || id < 0 || id >= vocabSize)
                    throw new GlmException($"{path}: token '{token}' has id {idElement.GetRawText()}, outside the model's vocabulary of {vocabSize}");
                tokens[id] = token;
                types[id] = tokenType;
            }
            foreach (var entry in vocab.EnumerateObject()) Put(entry.Name, entry.Value, TypeNormal);
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    string content = token.GetProperty("content").GetString() ?? "";
                    bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                    Put(content, token.GetProperty("id"), special ? TypeControl : TypeUserDefined);
                }
            }
            for (int id = 0; id < vocabSize; id++)
            {
                if (tokens[id] is not null) continue;
                tokens[id] = $"[PAD{id}]";
                types[id] = TypeUnused;
            }
            return (Array.ConvertAll(tokens, token => token!), types, ReadMerges(path, model));
        }
    }

    /// <summary>Merges as "a b" strings; tokenizer.json holds them either so or as ["a", "b"] pairs.</summary>
    private static List<string> ReadMerges(string path, JsonElement model)
    {
        var merges = new List<string>();
        if (!model.TryGetProperty("merges", out var list) || list.ValueKind != JsonValueKind.Array) return merges;
        foreach (var merge in list.EnumerateArray())
        {
            if (merge.ValueKind == JsonValueKind.String) merges.Add(merge.GetString()!);
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
                merges.Add($"{merge[0].GetString()} {merge[1].GetString()}");
            else throw new GlmException($"{path}: merge {merge.GetRawText()} is neither \"a b\" nor [\"a\", \"b\"]");
        }
        return merges;
    }
}

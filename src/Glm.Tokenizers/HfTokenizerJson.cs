using System.Text.Encodings.Web;
using System.Text.Json;
using Glm.Core;

namespace Glm.Tokenizers;

/// <summary>
/// Hugging Face tokenizer.json for <see cref="ByteLevelBpeTokenizer"/>: a BPE model whose vocab and merges are spelled
/// in GPT-2's byte alphabet, pre_tokenizer Sequence[Split(GLM-4 pattern, Isolated), ByteLevel(no prefix space, no
/// regex)], a ByteLevel decoder, and the specials as <c>added_tokens</c> with <c>special: true</c>.
/// </summary>
internal static class HfTokenizerJson
{
    public static void Write(ByteLevelBpeTokenizer tokenizer, string path)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                WriteDocument(json, tokenizer);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmException($"cannot write tokenizer {path}: {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public static ByteLevelBpeTokenizer Read(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            return Parse(document.RootElement);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GlmException($"cannot read tokenizer {path}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new GlmException($"tokenizer {path} is not valid JSON: {e.Message}", e);
        }
        catch (GlmException e)
        {
            throw new GlmException($"tokenizer {path}: {e.Message}", e);
        }
    }

    private static void WriteDocument(Utf8JsonWriter json, ByteLevelBpeTokenizer tokenizer)
    {
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");

        json.WriteStartArray("added_tokens");
        foreach ((string text, int id) in tokenizer.SpecialTokens)
        {
            json.WriteStartObject();
            json.WriteNumber("id", id);
            json.WriteString("content", text);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteNull("normalizer");
        json.WriteStartObject("pre_tokenizer");
        json.WriteString("type", "Sequence");
        json.WriteStartArray("pretokenizers");
        json.WriteStartObject();
        json.WriteString("type", "Split");
        json.WriteStartObject("pattern");
        json.WriteString("Regex", Glm4PreTokenizer.Pattern);
        json.WriteEndObject();
        json.WriteString("behavior", "Isolated");
        json.WriteBoolean("invert", false);
        json.WriteEndObject();
        WriteByteLevel(json, addPrefixSpace: false, useRegex: false);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("post_processor");
        json.WritePropertyName("decoder");
        WriteByteLevel(json, addPrefixSpace: true, useRegex: true); // the ByteLevel decoder ignores these flags

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        string[] spelled = tokenizer.Mergeable.Select(b => Gpt2ByteAlphabet.Spell(b)).ToArray();
        for (int id = 0; id < spelled.Length; id++) json.WriteNumber(spelled[id], id);
        json.WriteEndObject();
        json.WriteStartArray("merges");
        foreach ((int left, int right) in tokenizer.Merges) json.WriteStringValue($"{spelled[left]} {spelled[right]}");
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter json, bool addPrefixSpace, bool useRegex)
    {
        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", useRegex);
        json.WriteEndObject();
    }

    private static ByteLevelBpeTokenizer Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new GlmException("the top level is not a JSON object");
        CheckPreTokenizer(root);

        JsonElement model = Property(root, "model", JsonValueKind.Object);
        if (model.TryGetProperty("type", out var type) && type.GetString() != "BPE")
            throw new GlmException($"model.type is {type}, not BPE");
        foreach (string field in (string[])["continuing_subword_prefix", "end_of_word_suffix"])
        {
            if (model.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null)
                throw new GlmException($"model.{field} is set; byte-level BPE does not use it");
        }

        JsonElement vocab = Property(model, "vocab", JsonValueKind.Object);
        var idOfSpelling = new Dictionary<string, int>(StringComparer.Ordinal);
        var byId = new SortedDictionary<int, byte[]>();
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (!entry.Value.TryGetInt32(out int id) || id < 0) throw new GlmException($"vocab entry \"{entry.Name}\" has no valid id");
            byte[] bytes = Gpt2ByteAlphabet.Unspell(entry.Name) ?? throw new GlmException($"vocab entry \"{entry.Name}\" is not spelled in the byte-level alphabet");
            if (!byId.TryAdd(id, bytes)) throw new GlmException($"vocab id {id} appears twice");
            idOfSpelling[entry.Name] = id;
        }
        if (byId.Count == 0 || byId.Keys.Last() != byId.Count - 1) throw new GlmException("vocab ids are not 0..N-1 without gaps");

        var merges = new List<(int, int)>();
        foreach (JsonElement merge in Property(model, "merges", JsonValueKind.Array).EnumerateArray())
        {
            string[] parts = merge.ValueKind switch
            {
                JsonValueKind.String => merge.GetString()!.Split(' '),
                JsonValueKind.Array => merge.EnumerateArray().Select(p => p.GetString() ?? "").ToArray(),
                _ => [],
            };
            if (parts.Length != 2 || !idOfSpelling.TryGetValue(parts[0], out int left) || !idOfSpelling.TryGetValue(parts[1], out int right))
                throw new GlmException($"merge {merges.Count} ({merge}) is not two vocab entries");
            merges.Add((left, right));
        }

        var specials = new List<(string, int)>();
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement token in added.EnumerateArray())
            {
                string content = Property(token, "content", JsonValueKind.String).GetString()!;
                if (!Property(token, "id", JsonValueKind.Number).TryGetInt32(out int id)) throw new GlmException($"added token {content} has no valid id");
                if (!(token.TryGetProperty("special", out var special) && special.ValueKind == JsonValueKind.True))
                    throw new GlmException($"added token {content} is not special; only special added tokens are supported");
                specials.Add((content, id));
            }
        }

        return new ByteLevelBpeTokenizer([.. byId.Values], merges, specials);
    }

    // Encoding with another pattern would silently give other ids than Hugging Face does, so refuse it.
    private static void CheckPreTokenizer(JsonElement root)
    {
        JsonElement pre = Property(root, "pre_tokenizer", JsonValueKind.Object);
        IEnumerable<JsonElement> steps = pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray() : [pre];
        bool found = steps.Any(step =>
            step.ValueKind == JsonValueKind.Object &&
            step.TryGetProperty("type", out var t) && t.GetString() == "Split" &&
            step.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object &&
            p.TryGetProperty("Regex", out var regex) && regex.GetString() == Glm4PreTokenizer.Pattern);
        if (!found) throw new GlmException("pre_tokenizer does not split with the GLM-4 pattern, the only one this loader implements");
    }

    private static JsonElement Property(JsonElement parent, string name, JsonValueKind kind) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == kind
            ? value
            : throw new GlmException($"\"{name}\" is missing or not a JSON {kind.ToString().ToLowerInvariant()}");
}

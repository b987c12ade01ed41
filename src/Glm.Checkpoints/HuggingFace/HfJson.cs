using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Glm.Core;

namespace Glm.Checkpoints.HuggingFace;

/// <summary>Reading and writing the JSON files of a Hugging Face model folder, with errors that name the file.</summary>
internal static class HfJson
{
    /// <summary>Exact HF field names; fields the record does not know are ignored (the default).</summary>
    private static readonly JsonSerializerOptions ReadOptions = new();

    /// <summary>Indented like <c>save_pretrained</c>; absent optional fields are left out rather than written as null.</summary>
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses <paramref name="path"/>; the caller disposes the document.</summary>
    public static JsonDocument ReadDocument(string path)
    {
        try
        {
            var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind == JsonValueKind.Object) return document;
            document.Dispose();
            throw new GlmException($"{path} is not a JSON object");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new GlmException($"{path} does not exist", e);
        }
        catch (JsonException e)
        {
            throw new GlmException($"{path} is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Binds <paramref name="root"/> to <typeparamref name="T"/>; a field of the wrong type names the file and field.</summary>
    public static T Bind<T>(JsonElement root, string path)
    {
        try
        {
            return root.Deserialize<T>(ReadOptions) ?? throw new GlmException($"{path} is empty");
        }
        catch (JsonException e)
        {
            string field = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
            throw new GlmException($"{path}: a field has the wrong type{field} ({e.Message})", e);
        }
    }

    /// <summary>Runs <paramref name="validate"/> and prefixes its <see cref="GlmException"/> message with the file name.</summary>
    public static T Validated<T>(string path, Func<T> validate)
    {
        try
        {
            return validate();
        }
        catch (GlmException e)
        {
            throw new GlmException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Serializes <paramref name="value"/> to <paramref name="path"/> atomically, with a final newline.</summary>
    public static void Write<T>(string path, T value)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, WriteOptions) + "\n");
    }
}

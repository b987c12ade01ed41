using System.IO.Compression;
using System.Text.Json;
using Glm.Core;

namespace Glm.Training.Evaluation;

/// <summary>One source file to evaluate code completion on.</summary>
/// <param name="Source">Where it came from: the JSONL "path" field, else <c>file:line</c> (or the file's path).</param>
/// <param name="Text">The source text; lines end with '\n' (a '\r' before it stays and is trimmed when compared).</param>
public sealed record CodeDocument(string Source, string Text);

/// <summary>
/// Reads source files for <see cref="CodeItems"/>: a <c>.jsonl</c> (or <c>.jsonl.gz</c>) file holds one source file
/// per line as an object with "text" (and optionally "path", "lang", ...), as code corpora ship them; any other file is
/// one document itself (decompressed when it ends in <c>.gz</c>). Blank documents are skipped. Problems are
/// <see cref="GlmException"/>s naming the file and line.
/// </summary>
public static class CodeDocuments
{
    public static IReadOnlyList<CodeDocument> Read(IReadOnlyList<string> files)
    {
        var documents = new List<CodeDocument>();
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new GlmException($"data file {file} does not exist");
            using var reader = Open(file);
            if (!IsJsonl(file))
            {
                string text = reader.ReadToEnd();
                if (!string.IsNullOrWhiteSpace(text)) documents.Add(new CodeDocument(file, text));
                continue;
            }
            int lineNumber = 0;
            while (reader.ReadLine() is { } line)
                if (Parse(line, file, ++lineNumber) is { } document) documents.Add(document);
        }
        return documents;
    }

    private static bool IsJsonl(string file) =>
        file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jsonl.gz", StringComparison.OrdinalIgnoreCase);

    private static StreamReader Open(string file)
    {
        Stream stream = File.OpenRead(file);
        if (file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) stream = new GZipStream(stream, CompressionMode.Decompress);
        return new StreamReader(stream);
    }

    // One JSONL line {"text": "...", "path": "..."}; null for a blank line or a blank text.
    private static CodeDocument? Parse(string line, string file, int lineNumber)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new GlmException($"{file} line {lineNumber}: not valid JSON: {e.Message}");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new GlmException($"{file} line {lineNumber}: expected a JSON object with a string \"text\"");
            string source = root.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String
                ? path.GetString()! : $"{file}:{lineNumber}";
            string content = text.GetString()!;
            return string.IsNullOrWhiteSpace(content) ? null : new CodeDocument(source, content);
        }
    }
}

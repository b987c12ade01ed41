using System.Text.Json;
using Glm.Checkpoints.HuggingFace;
using Glm.Core;

namespace Glm.Checkpoints.Safetensors;

/// <summary>
/// A model's weights as Hugging Face stores them: one <c>model.safetensors</c>, or several shards listed by
/// <c>model.safetensors.index.json</c> (<c>{"metadata": {...}, "weight_map": {tensor: shard file}}</c>).
/// Tensors are looked up by name across shards.
/// </summary>
/// <remarks>
/// Ownership: this object owns every shard it opened and disposes them all; spans and pointers it hands out are
/// valid only until <see cref="Dispose"/>. Thread safety: as <see cref="SafetensorsFile"/>, reads may run concurrently.
/// In a sharded model only the tensors the weight map names are visible.
/// </remarks>
public sealed class SafetensorsModel : IDisposable
{
    /// <summary>The single-file weights name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> _fileOf;

    private SafetensorsModel(string source, IReadOnlyList<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileOf)
    {
        Source = source;
        Files = files;
        _fileOf = fileOf;
        Tensors = fileOf.ToDictionary(p => p.Key, p => p.Value.Tensors[p.Key], StringComparer.Ordinal);
    }

    /// <summary>The file opened: the single safetensors file or the index.</summary>
    public string Source { get; }

    /// <summary>The opened files (one, or one per shard in first-use order of the weight map).</summary>
    public IReadOnlyList<SafetensorsFile> Files { get; }

    /// <summary>Every visible tensor, by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>
    /// Opens the weights at <paramref name="path"/>: a model folder (its <c>model.safetensors</c>, else its
    /// <c>model.safetensors.index.json</c>), a <c>.safetensors</c> file, or an index file. Throws
    /// <see cref="GlmException"/> naming the missing or broken file. The caller owns the result.
    /// </summary>
    public static SafetensorsModel Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) path = HfFolder.Inspect(path).RequireWeights();
        if (path.EndsWith(".index.json", StringComparison.Ordinal)) return OpenIndex(path);
        return OpenSingle(path);
    }

    private static SafetensorsModel OpenSingle(string path)
    {
        var file = SafetensorsFile.Open(path);
        var fileOf = file.Tensors.Keys.ToDictionary(name => name, _ => file, StringComparer.Ordinal);
        return new SafetensorsModel(path, [file], fileOf);
    }

    private static SafetensorsModel OpenIndex(string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var files = new List<SafetensorsFile>();
        try
        {
            var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shardName) in weightMap)
            {
                if (!shards.TryGetValue(shardName, out var shard))
                {
                    string shardPath = System.IO.Path.Combine(folder, shardName);
                    if (!File.Exists(shardPath))
                        throw new GlmException($"{indexPath} maps tensor '{tensor}' to shard {shardName}, which does not exist in {folder}");
                    shard = SafetensorsFile.Open(shardPath);
                    shards[shardName] = shard;
                    files.Add(shard);
                }
                if (!shard.Tensors.ContainsKey(tensor))
                    throw new GlmException($"{indexPath} maps tensor '{tensor}' to shard {shardName}, which does not contain it");
                if (!fileOf.TryAdd(tensor, shard))
                    throw new GlmException($"{indexPath} lists tensor '{tensor}' twice in its weight_map");
            }
            return new SafetensorsModel(indexPath, files, fileOf);
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the weight map in file order; shard names must be plain file names beside the index.</summary>
    private static List<(string Tensor, string Shard)> ReadWeightMap(string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new GlmException($"safetensors index {indexPath} does not exist", e);
        }
        catch (JsonException e)
        {
            throw new GlmException($"safetensors index {indexPath} is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new GlmException($"safetensors index {indexPath} has no weight_map object");
            var entries = new List<(string, string)>();
            foreach (var entry in map.EnumerateObject())
            {
                string? shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
                if (string.IsNullOrEmpty(shard) || shard != System.IO.Path.GetFileName(shard))
                    throw new GlmException($"safetensors index {indexPath}: tensor '{entry.Name}' maps to {entry.Value.GetRawText()}, not a shard file name");
                entries.Add((entry.Name, shard));
            }
            return entries;
        }
    }

    /// <summary>True when a tensor of that name is visible.</summary>
    public bool Contains(string name) => _fileOf.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>; throws <see cref="GlmException"/> naming the model when absent.</summary>
    public TensorInfo GetInfo(string name) => FileOf(name).Tensors[name];

    /// <summary>The shard holding <paramref name="name"/>; throws <see cref="GlmException"/> naming the model when absent.</summary>
    public SafetensorsFile FileOf(string name)
    {
        if (_fileOf.TryGetValue(name, out var file)) return file;
        throw new GlmException($"model weights {Source} have no tensor '{name}'");
    }

    /// <inheritdoc cref="SafetensorsFile.GetBytes"/>
    public ReadOnlySpan<byte> GetBytes(string name) => FileOf(name).GetBytes(name);

    /// <inheritdoc cref="SafetensorsFile.GetPointer"/>
    public nint GetPointer(string name) => FileOf(name).GetPointer(name);

    /// <inheritdoc cref="SafetensorsFile.ReadFloat32(string)"/>
    public float[] ReadFloat32(string name) => FileOf(name).ReadFloat32(name);

    /// <inheritdoc cref="SafetensorsFile.ReadFloat32(string, Span{float})"/>
    public void ReadFloat32(string name, Span<float> destination) => FileOf(name).ReadFloat32(name, destination);

    /// <summary>Closes every shard.</summary>
    public void Dispose()
    {
        foreach (var file in Files) file.Dispose();
    }
}

using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Quantizes a GGUF file's weight matrices with the kernels' bit-exact ggml reference quantizers (Q8_0, Q4_0, Q6_K),
/// as llama.cpp's <c>quantize</c> does: metadata is copied (with <c>general.file_type</c> set for the new type), every
/// 2-D tensor whose rows are a whole number of blocks is re-encoded from F32, F16 or BF16, and every other tensor
/// (norms, biases, rows that do not fit the block size) keeps its bytes. Stateless and thread-safe; the output is
/// written atomically and memory holds one tensor (as float32) at a time.
/// </summary>
public static class GgufQuantize
{
    /// <summary>llama.cpp's <c>general.file_type</c> values (LLAMA_FTYPE) for the quantized types.</summary>
    public const uint FileTypeMostlyQ4_0 = 2, FileTypeMostlyQ8_0 = 7, FileTypeMostlyQ6_K = 18;

    /// <summary>The target types <see cref="Quantize"/> writes.</summary>
    public static IReadOnlyList<GgmlType> SupportedTypes { get; } = [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q6_K];

    /// <summary>llama.cpp's <c>general.file_type</c> for a file whose matrices are <paramref name="type"/>.</summary>
    public static uint FileType(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => FileTypeMostlyQ4_0,
        GgmlType.Q8_0 => FileTypeMostlyQ8_0,
        GgmlType.Q6_K => FileTypeMostlyQ6_K,
        _ => throw Unsupported(type),
    };

    /// <summary>
    /// Writes <paramref name="inputGguf"/> to <paramref name="outputGguf"/> with its matrices quantized to
    /// <paramref name="type"/>. Throws <see cref="GlmException"/> when the type is not Q8_0, Q4_0 or Q6_K, when the input
    /// is missing or not a GGUF file, or when a matrix to quantize is not F32, F16 or BF16 (naming file and tensor).
    /// Input and output must be different files.
    /// </summary>
    public static void Quantize(string inputGguf, string outputGguf, GgmlType type)
    {
        uint fileType = FileType(type);
        if (!File.Exists(inputGguf)) throw new GlmException($"GGUF file {inputGguf} does not exist");
        if (string.Equals(Path.GetFullPath(inputGguf), Path.GetFullPath(outputGguf), StringComparison.Ordinal))
            throw new GlmException($"quantize: the output {outputGguf} must differ from the input");
        using var source = GgufFile.Open(inputGguf);
        var writer = new GgufWriter(source.Alignment);
        foreach (var (key, value) in source.Metadata)
        {
            if (key is "general.alignment") continue; // the writer sets it from its own alignment
            writer.Set(key, value);
        }
        writer.SetUInt32(GgufChatGlmConfig.FileTypeKey, fileType);
        int block = GgmlTypes.BlockSize(type);
        foreach (var info in source.Tensors)
        {
            if (info.Dims.Length != 2 || info.Dims[0] % block != 0)
            {
                var tensor = info;
                writer.AddDeferred(info.Name, info.Type, info.Shape, stream => stream.Write(source.GetBytes(tensor.Name)));
                continue;
            }
            if (info.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
                throw new GlmException($"GGUF file {inputGguf}: tensor '{info.Name}' is {info.Type}; quantize reads F32, F16 and BF16 matrices");
            var matrix = info;
            writer.AddDeferred(info.Name, type, info.Shape, stream => Encode(source, matrix, type, stream));
        }
        writer.Write(outputGguf);
    }

    private static void Encode(GgufFile source, GgufTensorInfo info, GgmlType type, Stream stream)
    {
        float[] values = source.ReadFloat32(info.Name);
        int cols = checked((int)info.Dims[0]);
        long rows = values.Length / cols;
        int rowBytes = GgmlTypes.RowBytes(type, cols);
        var row = new byte[rowBytes];
        for (long r = 0; r < rows; r++)
        {
            RowCodec.Quantize(type, values.AsSpan((int)(r * cols), cols), row);
            stream.Write(row);
        }
    }

    private static GlmException Unsupported(GgmlType type) =>
        new($"quantize writes {string.Join(", ", SupportedTypes)}, not {type}");
}

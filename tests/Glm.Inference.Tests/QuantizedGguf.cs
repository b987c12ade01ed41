using Glm.Checkpoints.Gguf;
using Glm.Kernels.Quant;

namespace Glm.Inference.Tests;

/// <summary>
/// Rewrites an F32 GGUF file with every matrix quantized by the kernels' reference quantizers (Q8_0 or Q4_0, as
/// llama.cpp's quantize does it); metadata and 1-D tensors are copied unchanged.
/// </summary>
internal static class QuantizedGguf
{
    public static void Write(string f32Path, string path, GgmlType type)
    {
        using var source = GgufFile.Open(f32Path);
        var writer = new GgufWriter(source.Alignment);
        foreach (var (key, value) in source.Metadata)
        {
            if (key is "general.alignment") continue;
            writer.Set(key, value);
        }
        writer.SetUInt32(GgufChatGlmConfig.FileTypeKey, type == GgmlType.Q8_0 ? 7u : 2u); // LLAMA_FTYPE_MOSTLY_Q8_0 / Q4_0
        foreach (var info in source.Tensors)
        {
            if (info.Dims.Length < 2)
            {
                writer.AddRaw(info.Name, info.Type, info.Shape, source.GetBytes(info.Name));
                continue;
            }
            float[] values = source.ReadFloat32(info.Name);
            int cols = (int)info.Dims[0], rows = (int)(values.Length / cols);
            int rowBytes = GgmlTypes.RowBytes(type, cols);
            var data = new byte[rows * rowBytes];
            for (int r = 0; r < rows; r++)
            {
                var row = values.AsSpan(r * cols, cols);
                var dst = data.AsSpan(r * rowBytes, rowBytes);
                SyntheticGguf.Quantize(type, row, dst);
            }
            writer.AddRaw(info.Name, type, info.Shape, data);
        }
        writer.Write(path);
    }
}

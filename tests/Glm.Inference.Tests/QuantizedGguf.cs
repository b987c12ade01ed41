using Glm.Checkpoints.Gguf;
using Glm.Kernels.Quant;

namespace Glm.Inference.Tests;

/// <summary>
/// Rewrites an F32 GGUF file with every matrix quantized by the library's <see cref="GgufQuantize"/> (the kernels'
/// reference quantizers, as llama.cpp's quantize does it); metadata and 1-D tensors are copied unchanged.
/// </summary>
internal static class QuantizedGguf
{
    public static void Write(string f32Path, string path, GgmlType type) => GgufQuantize.Quantize(f32Path, path, type);
}

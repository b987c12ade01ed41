using Glm.Checkpoints.HuggingFace;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Gguf;

/// <summary>
/// Converts ChatGLM2/3 / GLM-4 and GLM-4-0414 checkpoints between a Hugging Face folder (config.json + safetensors) and
/// a llama.cpp <c>chatglm</c> or <c>glm4</c> GGUF file (<see cref="GgufGlmNames"/>, <see cref="GgufGlm4Names"/>), for F32, F16 and BF16 weights. Tensors keep their bytes when the storage type does not
/// change, so F32 survives HF -> GGUF -> HF exactly. Stateless and thread-safe; outputs are written atomically.
/// Memory: HF -> GGUF holds one tensor at a time (as float32 when its type changes); GGUF -> HF holds the whole
/// output once, and each tensor must be under 2 GiB (<see cref="SafetensorsWriter"/>).
/// </summary>
public static class GgufConvert
{
    /// <summary>llama.cpp's <c>general.file_type</c> values (LLAMA_FTYPE) for the float types.</summary>
    public const uint FileTypeAllF32 = 0, FileTypeMostlyF16 = 1, FileTypeMostlyBF16 = 32;

    /// <summary>
    /// Writes the HF model in <paramref name="hfFolder"/> to <paramref name="ggufPath"/>. Matrices are stored as
    /// <paramref name="type"/> (F32, F16 or BF16), or in their own safetensors dtype when it is null; 1-D tensors (norms,
    /// biases) stay F32, as llama.cpp's converter keeps them. RoPE <c>inv_freq</c> buffers are dropped. When the folder
    /// has a tokenizer.json, its vocabulary is written as <c>tokenizer.ggml.*</c> (see <see cref="GgufTokenizerMetadata"/>).
    /// A GLM-4-0414 folder (<see cref="Glm4ConfigFile.IsGlm4"/>) becomes a <c>glm4</c> file. Throws
    /// <see cref="GlmException"/> naming the folder and tensor when the model is not ChatGLM2/3 / GLM-4 / GLM-4-0414, a
    /// tensor is missing, unexpected, of the wrong shape, or not a float type.
    /// </summary>
    public static void HfToGguf(string hfFolder, string ggufPath, GgmlType? type = null, string? name = null)
    {
        if (type is not (null or GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            throw new ArgumentException($"HF -> GGUF writes F32, F16 or BF16, not {type}", nameof(type));
        var writer = new GgufWriter();
        IReadOnlyList<GlmTensorName> expected;
        int vocabSize;
        name ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(hfFolder)));
        if (Glm4ConfigFile.IsGlm4(hfFolder))
        {
            var config = Glm4ConfigFile.Read(hfFolder);
            (expected, vocabSize) = (GgufGlm4Names.Tensors(config), config.VocabSize);
            writer.SetString(GgufChatGlmConfig.ArchitectureKey, GgufGlmNames.Glm4Architecture);
            writer.SetString(GgufChatGlmConfig.NameKey, name);
            GgufGlm4Config.Write(writer, config);
        }
        else
        {
            var config = ModelConfigFile.Read(hfFolder).ChatGlm
                ?? throw new GlmException($"model folder {hfFolder} holds an original GLM model; GGUF conversion covers ChatGLM2/3, GLM-4 (llama.cpp 'chatglm') and GLM-4-0414 ('glm4')");
            (expected, vocabSize) = (GgufGlmNames.ChatGlmTensors(config), config.PaddedVocabSize);
            writer.SetString(GgufChatGlmConfig.ArchitectureKey, GgufGlmNames.ChatGlmArchitecture);
            writer.SetString(GgufChatGlmConfig.NameKey, name);
            GgufChatGlmConfig.Write(writer, config);
        }
        using var weights = SafetensorsModel.Open(hfFolder);
        CheckNoExtras(weights.Tensors.Keys.Where(n => !GgufGlmNames.IsIgnoredHf(n)), expected.Select(t => t.Hf), $"model folder {hfFolder}");
        var matrixTypes = new List<GgmlType>();
        foreach (var tensor in expected)
        {
            if (!weights.Contains(tensor.Hf)) throw new GlmException($"model folder {hfFolder} has no tensor '{tensor.Hf}'");
            var info = weights.GetInfo(tensor.Hf);
            if (!info.Shape.AsSpan().SequenceEqual(tensor.Shape))
                throw new GlmException($"model folder {hfFolder}: tensor '{tensor.Hf}' has shape {info.ShapeText}, but config.json calls for [{string.Join(", ", tensor.Shape)}]");
            if (!DTypes.IsFloat32Convertible(info.DType))
                throw new GlmException($"model folder {hfFolder}: tensor '{tensor.Hf}' is {info.DType}; GGUF conversion reads F32, F16 and BF16");
            GgmlDTypes.TryFromDType(info.DType, out var source);
            var target = info.Shape.Length <= 1 ? GgmlType.F32 : type ?? source;
            if (info.Shape.Length > 1) matrixTypes.Add(target);
            // Deferred: each tensor is read from the mapping while the file is written, so memory holds one at a time.
            if (target == source) writer.AddDeferred(tensor.Gguf, target, info.Shape, stream => CopyRaw(weights, tensor.Hf, info.ByteLength, stream));
            else writer.AddDeferred(tensor.Gguf, target, info.Shape, stream => Encode(weights.ReadFloat32(tensor.Hf), target, stream));
        }
        writer.SetUInt32(GgufChatGlmConfig.FileTypeKey, FileType(matrixTypes));
        if (HfFolder.Inspect(hfFolder).TokenizerJsonPath is { } tokenizerJson) GgufTokenizerMetadata.Write(writer, tokenizerJson, vocabSize);
        writer.Write(ggufPath);
    }

    /// <summary>
    /// Writes the <c>chatglm</c> or <c>glm4</c> GGUF file <paramref name="ggufPath"/> as an HF folder: config.json (from
    /// the metadata and tensors, see <see cref="GgufChatGlmConfig.Read"/> and <see cref="GgufGlm4Config.Read"/>) and model.safetensors with every tensor's bytes as they
    /// are. The folder is created if missing; existing files of those names are replaced. Throws
    /// <see cref="GlmException"/> naming the file and tensor when a tensor is quantized, unknown, missing or misshapen.
    /// </summary>
    public static void GgufToHf(string ggufPath, string hfFolder)
    {
        using var file = GgufFile.Open(ggufPath);
        IReadOnlyList<GlmTensorName> expected;
        Action writeConfig;
        if (file.Architecture == GgufGlmNames.Glm4Architecture)
        {
            var config = GgufGlm4Config.Read(file, TorchDtype(file));
            expected = GgufGlm4Names.Tensors(config);
            writeConfig = () => Glm4ConfigFile.Write(hfFolder, config);
        }
        else
        {
            var config = GgufChatGlmConfig.Read(file, TorchDtype(file));
            expected = GgufGlmNames.ChatGlmTensors(config);
            writeConfig = () => ModelConfigFile.Write(hfFolder, config);
        }
        CheckNoExtras(file.Tensors.Select(t => t.Name), expected.Select(t => t.Gguf), $"GGUF file {ggufPath}");
        var writer = new SafetensorsWriter();
        foreach (var tensor in expected)
        {
            var info = file.GetInfo(tensor.Gguf);
            if (!info.Shape.AsSpan().SequenceEqual(tensor.Shape))
                throw new GlmException($"GGUF file {ggufPath}: tensor '{tensor.Gguf}' has GGUF dims {info.DimsText}, but the metadata calls for [{string.Join(", ", tensor.Shape.Reverse())}]");
            if (!GgmlDTypes.TryToDType(info.Type, out var dtype) || !DTypes.IsFloat32Convertible(dtype))
                throw new GlmException($"GGUF file {ggufPath}: tensor '{tensor.Gguf}' is {info.Type}; GGUF -> HF converts F32, F16 and BF16 only");
            writer.AddRaw(tensor.Hf, dtype, tensor.Shape, file.GetBytes(tensor.Gguf));
        }
        writer.SetMetadata("format", "pt");
        writeConfig();
        writer.Write(Path.Combine(hfFolder, SafetensorsModel.SingleFileName));
    }

    private static unsafe void CopyRaw(SafetensorsModel weights, string name, long length, Stream stream)
    {
        byte* source = (byte*)weights.GetPointer(name);
        const int chunk = 1 << 24;
        for (long done = 0; done < length; done += chunk)
            stream.Write(new ReadOnlySpan<byte>(source + done, (int)Math.Min(chunk, length - done)));
    }

    private static void Encode(float[] values, GgmlType type, Stream stream)
    {
        GgmlDTypes.TryToDType(type, out var dtype);
        int size = DTypes.SizeOf(dtype);
        const int chunk = 1 << 20;
        var buffer = new byte[chunk * size];
        for (int done = 0; done < values.Length; done += chunk)
        {
            int count = Math.Min(chunk, values.Length - done);
            FloatConversions.Encode(dtype, values.AsSpan(done, count), buffer.AsSpan(0, count * size));
            stream.Write(buffer, 0, count * size);
        }
    }

    private static void CheckNoExtras(IEnumerable<string> present, IEnumerable<string> expected, string where)
    {
        var known = expected.ToHashSet(StringComparer.Ordinal);
        foreach (string name in present)
        {
            if (!known.Contains(name))
                throw new GlmException($"{where} has tensor '{name}', which the config does not call for (check num_layers, biases and tie_word_embeddings)");
        }
    }

    private static uint FileType(List<GgmlType> matrixTypes) => matrixTypes.Count == 0
        ? FileTypeAllF32
        : matrixTypes.GroupBy(t => t).OrderByDescending(g => g.Count()).First().Key switch
        {
            GgmlType.F16 => FileTypeMostlyF16,
            GgmlType.BF16 => FileTypeMostlyBF16,
            _ => FileTypeAllF32,
        };

    private static string TorchDtype(GgufFile file)
    {
        uint fileType = file.Metadata.TryGetUInt32(GgufChatGlmConfig.FileTypeKey, out uint ft) ? ft : FileTypeAllF32;
        return fileType switch
        {
            FileTypeMostlyF16 => "float16",
            FileTypeMostlyBF16 => "bfloat16",
            _ => "float32",
        };
    }
}

using Glm.Checkpoints.Gguf;
using Glm.Core;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

public class GgufQuantizeTests
{
    /// <summary>
    /// Largest dequantization error allowed, as a fraction of the largest |value| in the tensor: Q8_0 rounds to 1/127
    /// of its block's maximum, Q4_0 to 1/8 (its clamp at +7 can cost a whole step), Q6_K to about 1/32 plus the
    /// rounding of its 8-bit sub-block scales.
    /// </summary>
    private static double Tolerance(GgmlType type) => type switch
    {
        GgmlType.Q8_0 => 1.0 / 127,
        GgmlType.Q4_0 => 1.0 / 8 + 1e-3,
        GgmlType.Q6_K => 1.0 / 16,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    /// <summary>Writes a small GGUF: an F32 and an F16 matrix (rows of 256), a matrix whose rows fit no block, a norm.</summary>
    private static Dictionary<string, float[]> WriteInput(string path)
    {
        var values = new Dictionary<string, float[]>
        {
            ["w.f32"] = Random(4 * 256, 1),
            ["w.f16"] = Random(3 * 256, 2),
            ["w.odd"] = Random(2 * 20, 3),
            ["norm"] = Random(256, 4),
        };
        new GgufWriter()
            .SetString("general.architecture", "chatglm")
            .SetString("general.name", "tiny")
            .SetUInt32(GgufChatGlmConfig.FileTypeKey, GgufConvert.FileTypeAllF32)
            .SetStrings("tokenizer.ggml.tokens", ["a", "b", "<|endoftext|>"])
            .AddFloat32("w.f32", GgmlType.F32, [4, 256], values["w.f32"])
            .AddFloat32("w.f16", GgmlType.F16, [3, 256], values["w.f16"])
            .AddFloat32("w.odd", GgmlType.F32, [2, 20], values["w.odd"])
            .AddFloat32("norm", GgmlType.F32, [256], values["norm"])
            .Write(path);
        return values;
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 7u)]
    [InlineData(GgmlType.Q4_0, 2u)]
    [InlineData(GgmlType.Q6_K, 18u)]
    public void MatricesAreQuantizedAndTheRestIsCopied(GgmlType type, uint fileType)
    {
        using var temp = new TempFolder();
        string input = temp.File("in.gguf"), output = temp.File("out.gguf");
        var values = WriteInput(input);

        GgufQuantize.Quantize(input, output, type);

        using var source = GgufFile.Open(input);
        using var file = GgufFile.Open(output);
        Assert.Equal(fileType, file.Metadata.GetUInt32(GgufChatGlmConfig.FileTypeKey));
        Assert.Equal(fileType, GgufQuantize.FileType(type));
        foreach (var (key, value) in source.Metadata)
            if (key != GgufChatGlmConfig.FileTypeKey) Assert.Equal(value, file.Metadata[key]);
        Assert.Equal(source.Metadata.Keys.Order(), file.Metadata.Keys.Order());
        Assert.Equal(source.Tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));

        foreach (string name in new[] { "w.f32", "w.f16" })
        {
            var info = file.GetInfo(name);
            Assert.Equal(type, info.Type);
            Assert.Equal(source.GetInfo(name).Dims, info.Dims);
            float[] expected = source.ReadFloat32(name);
            var actual = new float[expected.Length];
            RowCodec.Dequantize(type, file.GetBytes(name), actual);
            double limit = Tolerance(type) * expected.Max(MathF.Abs);
            double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst <= limit, $"{name} as {type}: max error {worst} > {limit}");
            Assert.True(worst > 0, $"{name} as {type} came back exact, so it was not quantized");
        }
        foreach (string name in new[] { "w.odd", "norm" })
        {
            Assert.Equal(source.GetInfo(name).Type, file.GetInfo(name).Type);
            Assert.Equal(source.GetBytes(name).ToArray(), file.GetBytes(name).ToArray());
        }
        Assert.Equal(values["norm"], file.ReadFloat32("norm"));
    }

    [Theory]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.Q8_K)]
    public void UnsupportedTargetTypeIsExplained(GgmlType type)
    {
        using var temp = new TempFolder();
        string input = temp.File("in.gguf");
        WriteInput(input);
        var e = Assert.Throws<GlmException>(() => GgufQuantize.Quantize(input, temp.File("out.gguf"), type));
        Assert.Contains(type.ToString(), e.Message);
        Assert.False(File.Exists(temp.File("out.gguf")));
    }

    [Fact]
    public void MissingInputIsNamed()
    {
        using var temp = new TempFolder();
        string input = temp.File("missing.gguf");
        var e = Assert.Throws<GlmException>(() => GgufQuantize.Quantize(input, temp.File("out.gguf"), GgmlType.Q8_0));
        Assert.Contains(input, e.Message);
    }

    [Fact]
    public void AlreadyQuantizedMatrixIsExplained()
    {
        using var temp = new TempFolder();
        string input = temp.File("in.gguf"), q8 = temp.File("q8.gguf");
        WriteInput(input);
        GgufQuantize.Quantize(input, q8, GgmlType.Q8_0);
        var e = Assert.Throws<GlmException>(() => GgufQuantize.Quantize(q8, temp.File("q4.gguf"), GgmlType.Q4_0));
        Assert.Contains("w.f32", e.Message);
        Assert.Contains(q8, e.Message);
    }
}

using Glm.Checkpoints.Gguf;
using Glm.Core;

namespace Glm.Checkpoints.Tests.Gguf;

/// <summary>Every malformed file gives a <see cref="GlmException"/> naming the file and the key or tensor at fault.</summary>
public class GgufCorruptionTests
{
    private static GlmException OpenFails(byte[] bytes, params string[] mustMention)
    {
        using var temp = new TempFolder();
        var path = temp.File("bad.gguf");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<GlmException>(() => GgufFile.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        foreach (var text in mustMention) Assert.Contains(text, error.Message);
        return error;
    }

    /// <summary>One F32 tensor "w" of <paramref name="dims"/> with the given type and offset, data of <paramref name="dataBytes"/>.</summary>
    private static byte[] OneTensor(uint type = 0, ulong offset = 0, int dataBytes = 16, params ulong[] dims)
    {
        var b = new GgufBytes().Header(1, 0).TensorInfo("w", type, offset, dims.Length == 0 ? [4] : dims).PadTo(32);
        b.Raw(new byte[dataBytes]);
        return b.ToArray();
    }

    [Fact]
    public void MissingFile()
    {
        using var temp = new TempFolder();
        var error = Assert.Throws<GlmException>(() => GgufFile.Open(temp.File("none.gguf")));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void EmptyFile() => OpenFails([], "empty");

    [Fact]
    public void BadMagic() => OpenFails(new GgufBytes().Raw("GGML"u8.ToArray()).U32(3).U64(0).U64(0).ToArray(), "bad magic", "not a GGUF file");

    [Fact]
    public void SafetensorsIsNotGguf() => OpenFails(new GgufBytes().U64(2).Raw("{}"u8.ToArray()).ToArray(), "bad magic");

    [Theory]
    [InlineData(1u, "version 1")]
    [InlineData(4u, "unsupported version 4")]
    [InlineData(0x03000000u, "big-endian")]
    public void UnsupportedVersion(uint version, string message) =>
        OpenFails(new GgufBytes().Header(0, 0, version).ToArray(), message);

    [Fact]
    public void TruncatedAnywhereInTheHeaderOrData()
    {
        var (bytes, _) = GgufHandBuiltTests.TwoTensorFile();
        // The Q8_0 tensor ends 2 bytes into the last 32-byte padding block, so every cut before that must fail.
        int end = bytes.Length - 32 + 2;
        using var temp = new TempFolder();
        var path = temp.File("cut.gguf");
        for (int cut = 0; cut < end; cut++)
        {
            File.WriteAllBytes(path, bytes[..cut]);
            var error = Assert.Throws<GlmException>(() => GgufFile.Open(path).Dispose());
            Assert.Contains(path, error.Message);
        }
        File.WriteAllBytes(path, bytes[..end]);
        GgufFile.Open(path).Dispose();
    }

    [Fact]
    public void TruncatedDataNamesTheTensor() => OpenFails(OneTensor(dataBytes: 12), "'w'", "runs past the end", "truncated");

    [Fact]
    public void TruncatedStringNamesTheKey() =>
        OpenFails(new GgufBytes().Header(0, 1).Str("general.name").U32(8).U64(100).Raw("abc"u8.ToArray()).ToArray(),
            "'general.name'", "string length 100");

    [Fact]
    public void AbsurdCounts()
    {
        OpenFails(new GgufBytes().Raw("GGUF"u8.ToArray()).U32(3).U64(ulong.MaxValue).U64(0).ToArray(), "tensor count");
        OpenFails(new GgufBytes().Header(0, 1L << 40).ToArray(), "metadata count");
        OpenFails(new GgufBytes().Header(0, 1).Str("k").U32(9).U32(4).U64(1L << 60).ToArray(), "'k'", "array count");
    }

    [Fact]
    public void MisalignedOffset() => OpenFails(OneTensor(offset: 4, dataBytes: 64), "'w'", "offset 4", "misaligned");

    [Fact]
    public void OffsetOutOfRange() => OpenFails(OneTensor(offset: 1UL << 40), "'w'", "runs past the end");

    [Fact]
    public void UnknownGgmlType() => OpenFails(OneTensor(type: 4), "'w'", "unknown ggml type 4");

    [Fact]
    public void RowNotAWholeNumberOfBlocks() =>
        OpenFails(OneTensor(type: 8, dataBytes: 68, dims: [16, 4]), "'w'", "Q8_0", "block size 32");

    [Fact]
    public void TooManyDims() => OpenFails(OneTensor(dims: [1, 1, 1, 1, 4]), "'w'", "5 dimensions");

    [Fact]
    public void DuplicateTensorNames()
    {
        var b = new GgufBytes().Header(2, 0).TensorInfo("w", 0, 0, 4).TensorInfo("w", 0, 32, 4).PadTo(32).Raw(new byte[64]);
        OpenFails(b.ToArray(), "'w'", "twice");
    }

    [Fact]
    public void OverlappingTensors()
    {
        var b = new GgufBytes().Header(2, 0).TensorInfo("a", 0, 0, 16).TensorInfo("b", 0, 32, 4).PadTo(32).Raw(new byte[64]);
        OpenFails(b.ToArray(), "'b'", "overlaps", "'a'");
    }

    [Fact]
    public void DuplicateKeys() =>
        OpenFails(new GgufBytes().Header(0, 2).Str("k").U32(4).U32(1).Str("k").U32(4).U32(2).ToArray(), "'k'", "twice");

    [Fact]
    public void UnknownValueType() =>
        OpenFails(new GgufBytes().Header(0, 1).Str("k").U32(13).U32(0).ToArray(), "'k'", "unknown metadata value type 13");

    [Fact]
    public void UnknownArrayElementType() =>
        OpenFails(new GgufBytes().Header(0, 1).Str("k").U32(9).U32(77).U64(0).ToArray(), "'k'", "unknown array element type 77");

    [Fact]
    public void BoolOtherThanZeroOrOne() =>
        OpenFails(new GgufBytes().Header(0, 1).Str("flag").U32(7).U8(2).ToArray(), "'flag'", "bool value is 2");

    [Fact]
    public void InvalidUtf8() =>
        OpenFails(new GgufBytes().Header(0, 1).Str("k").U32(8).U64(2).Raw(0xC3, 0x28).ToArray(), "'k'", "UTF-8");

    [Theory]
    [InlineData(0u)]
    [InlineData(24u)]
    public void BadAlignment(uint alignment) =>
        OpenFails(new GgufBytes().Header(0, 1).Str("general.alignment").U32(4).U32(alignment).ToArray(), "general.alignment", "power of two");

    [Fact]
    public void AlignmentOfTheWrongType() =>
        OpenFails(new GgufBytes().Header(0, 1).Str("general.alignment").U32(10).U64(32).ToArray(), "general.alignment", "uint64", "expected uint32");

    [Fact]
    public void GettersNameTheKeyAndTypes()
    {
        using var temp = new TempFolder();
        var path = temp.File("m.gguf");
        new GgufWriter().SetString("general.architecture", "chatglm").Set("neg", GgufValue.Int32(-1)).Write(path);
        using var file = GgufFile.Open(path);
        var wrong = Assert.Throws<GlmException>(() => file.Metadata.GetUInt32("general.architecture"));
        Assert.Contains("'general.architecture'", wrong.Message);
        Assert.Contains("is string, expected uint32", wrong.Message);
        Assert.Contains(path, wrong.Message);
        var missing = Assert.Throws<GlmException>(() => file.Metadata.GetString("general.name"));
        Assert.Contains("'general.name' (string) is missing", missing.Message);
        var range = Assert.Throws<GlmException>(() => file.Metadata.GetUInt32("neg"));
        Assert.Contains("does not fit uint32", range.Message);
        Assert.Throws<GlmException>(() => file.Metadata.TryGetBool("neg", out _));
        Assert.Throws<GlmException>(() => file.Metadata.GetStringArray("general.architecture"));
        var tensor = Assert.Throws<GlmException>(() => file.GetBytes("output.weight"));
        Assert.Contains("'output.weight'", tensor.Message);
    }
}

using Glm.Checkpoints.Gguf;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

/// <summary>Files assembled byte by byte from the format description, independent of <see cref="GgufWriter"/>.</summary>
public class GgufHandBuiltTests
{
    /// <summary>
    /// Two metadata keys (a u32 and a string array) and two tensors: an F32 [3, 2] (GGUF dims) at offset 0, and a Q8_0
    /// row of 32 at offset 32 (24 bytes of F32 padded to the alignment of 32).
    /// </summary>
    internal static (byte[] Bytes, long DataOffset) TwoTensorFile()
    {
        var b = new GgufBytes()
            .Header(tensors: 2, keys: 2)
            .Str("chatglm.block_count").U32((uint)GgufValueType.UInt32).U32(2)
            .Str("tokenizer.ggml.tokens").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(2).Str("a").Str("bc")
            .TensorInfo("w", type: 0, offset: 0, 3, 2)
            .TensorInfo("q", type: 8, offset: 32, 32)
            .PadTo(32);
        long dataOffset = b.Length;
        for (int i = 0; i < 6; i++) b.F32(i + 0.5f);
        b.PadTo(32);
        b.U16(0x3C00); // Q8_0 scale d = 1.0 as f16
        for (int i = 0; i < 32; i++) b.U8((byte)(i - 16));
        b.PadTo(32);
        return (b.ToArray(), dataOffset);
    }

    [Fact]
    public void ReadsAHandBuiltFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("hand.gguf");
        var (bytes, dataOffset) = TwoTensorFile();
        File.WriteAllBytes(path, bytes);
        using var file = GgufFile.Open(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal(32, file.Alignment);
        Assert.Equal(dataOffset, file.DataOffset);
        Assert.Equal(2u, file.Metadata.GetUInt32("chatglm.block_count"));
        Assert.Equal(["a", "bc"], file.Metadata.GetStringArray("tokenizer.ggml.tokens"));

        var w = file.GetInfo("w");
        Assert.Equal([3L, 2L], w.Dims);
        Assert.Equal([2L, 3L], w.Shape);
        Assert.Equal(0, w.Offset);
        Assert.Equal(24, w.ByteLength);
        Assert.Equal([0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f], file.ReadFloat32("w"));

        var q = file.GetInfo("q");
        Assert.Equal(GgmlType.Q8_0, q.Type);
        Assert.Equal(32, q.Offset);
        Assert.Equal(34, q.ByteLength);
        var block = file.GetBytes("q");
        Assert.Equal(0x00, block[0]);
        Assert.Equal(0x3C, block[1]);
        Assert.Equal(unchecked((byte)-16), block[2]);
        Assert.Equal(15, block[33]);
    }

    [Fact]
    public void WriterProducesTheSameBytes()
    {
        using var temp = new TempFolder();
        var path = temp.File("written.gguf");
        var (expected, _) = TwoTensorFile();
        var q8 = new byte[34];
        q8[1] = 0x3C;
        for (int i = 0; i < 32; i++) q8[2 + i] = (byte)(i - 16);
        new GgufWriter()
            .SetUInt32("chatglm.block_count", 2)
            .SetStrings("tokenizer.ggml.tokens", ["a", "bc"])
            .AddFloat32("w", GgmlType.F32, [2, 3], [0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f])
            .AddRaw("q", GgmlType.Q8_0, [32], q8)
            .Write(path);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadsVersion2AndCustomAlignment()
    {
        using var temp = new TempFolder();
        var path = temp.File("v2.gguf");
        var b = new GgufBytes()
            .Header(tensors: 1, keys: 1, version: 2)
            .Str("general.alignment").U32((uint)GgufValueType.UInt32).U32(16)
            .TensorInfo("b", type: 1, offset: 0, 3)
            .PadTo(16);
        long dataOffset = b.Length;
        b.U16(0x3C00).U16(0x4000).U16(0xC000); // 1, 2, -2 as f16
        File.WriteAllBytes(path, b.ToArray()); // no trailing padding: still valid
        using var file = GgufFile.Open(path);
        Assert.Equal(2u, file.Version);
        Assert.Equal(16, file.Alignment);
        Assert.Equal(dataOffset, file.DataOffset);
        Assert.Equal(0, file.DataOffset % 16);
        Assert.Equal([1f, 2f, -2f], file.ReadFloat32("b"));
    }
}

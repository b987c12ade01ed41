using System.Runtime.InteropServices;
using Glm.Checkpoints.Gguf;
using Glm.Checkpoints.Safetensors;
using Glm.Kernels.Quant;

namespace Glm.Checkpoints.Tests.Gguf;

public class GgufRoundTripTests
{
    public static TheoryData<string, GgufValue> EveryValueType() => new()
    {
        { "u8", GgufValue.UInt8(250) },
        { "i8", GgufValue.Int8(-100) },
        { "u16", GgufValue.UInt16(65000) },
        { "i16", GgufValue.Int16(-30000) },
        { "u32", GgufValue.UInt32(4_000_000_000) },
        { "i32", GgufValue.Int32(-2_000_000_000) },
        { "f32", GgufValue.Float32(1.5625e-7f) },
        { "bool.true", GgufValue.Bool(true) },
        { "bool.false", GgufValue.Bool(false) },
        { "string", GgufValue.String("GLM-4 智谱 \n\"quoted\"") },
        { "string.empty", GgufValue.String("") },
        { "u64", GgufValue.UInt64(ulong.MaxValue) },
        { "i64", GgufValue.Int64(long.MinValue) },
        { "f64", GgufValue.Float64(Math.PI) },
        { "array.u8", GgufValue.Array(new byte[] { 0, 1, 255 }) },
        { "array.i8", GgufValue.Array(new sbyte[] { -128, 0, 127 }) },
        { "array.u16", GgufValue.Array(new ushort[] { 1, 65535 }) },
        { "array.i16", GgufValue.Array(new short[] { -1, 2 }) },
        { "array.u32", GgufValue.Array(new uint[] { 151329, 151336, 151338 }) },
        { "array.i32", GgufValue.Array(new[] { 1, 3, 3, 1, 5 }) },
        { "array.f32", GgufValue.Array(new[] { -0f, 0.25f, float.NaN, float.PositiveInfinity }) },
        { "array.bool", GgufValue.Array(new[] { true, false, true }) },
        { "array.string", GgufValue.Array(new[] { "Ġthe", "", "<|endoftext|>", "ä¸Ń" }) },
        { "array.u64", GgufValue.Array(new ulong[] { 0, ulong.MaxValue }) },
        { "array.i64", GgufValue.Array(new long[] { long.MinValue, 7 }) },
        { "array.f64", GgufValue.Array(new[] { 1e-300, -2.5 }) },
        { "array.empty", GgufValue.Array(Array.Empty<string>()) },
        { "array.nested", GgufValue.Array(new[] { GgufValue.Array(new[] { 1, 2 }), GgufValue.Array(new[] { "a" }) }) },
    };

    [Theory]
    [MemberData(nameof(EveryValueType))]
    public void MetadataValueRoundTrips(string key, GgufValue value)
    {
        using var temp = new TempFolder();
        var path = temp.File("m.gguf");
        new GgufWriter().Set("before", GgufValue.UInt8(7)).Set(key, value).Set("after", GgufValue.String("end")).Write(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(["before", key, "after"], file.Metadata.Keys);
        var read = file.Metadata[key];
        Assert.Equal(value.Type, read.Type);
        Assert.Equal(value.ElementType, read.ElementType);
        Assert.Equal(value, read);
        Assert.Equal("end", file.Metadata.GetString("after"));
    }

    [Fact]
    public void TypedGetters()
    {
        using var temp = new TempFolder();
        var path = temp.File("m.gguf");
        new GgufWriter()
            .SetUInt32("chatglm.block_count", 40)
            .Set("small", GgufValue.UInt8(3))
            .Set("negative", GgufValue.Int32(-5))
            .SetFloat32("eps", 1e-5f)
            .Set("wide", GgufValue.Float64(0.5))
            .SetBool("flag", true)
            .SetStrings("tokens", ["a", "b"])
            .Write(path);
        using var file = GgufFile.Open(path);
        var meta = file.Metadata;
        Assert.Equal(40u, meta.GetUInt32("chatglm.block_count"));
        Assert.Equal(40L, meta.GetInt64("chatglm.block_count"));
        Assert.Equal(3u, meta.GetUInt32("small"));
        Assert.Equal(-5, meta.GetInt32("negative"));
        Assert.Equal(1e-5f, meta.GetFloat32("eps"));
        Assert.Equal(0.5, meta.GetFloat64("wide"));
        Assert.True(meta.GetBool("flag"));
        Assert.Equal(["a", "b"], meta.GetStringArray("tokens"));
        Assert.False(meta.TryGetUInt32("absent", out _));
        Assert.False(meta.TryGetString("absent", out _));
    }

    [Fact]
    public void FloatTensorsRoundTripInEveryFloatType()
    {
        using var temp = new TempFolder();
        var path = temp.File("t.gguf");
        float[] values = [1f, -2.5f, 0.1f, 65504f, 1e-8f, -0f];
        new GgufWriter()
            .AddFloat32("f32", GgmlType.F32, [2, 3], values)
            .AddFloat32("f16", GgmlType.F16, [3, 2], values)
            .AddFloat32("bf16", GgmlType.BF16, [6], values)
            .Write(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(values, file.ReadFloat32("f32"));
        Assert.Equal(values.Select(v => (float)(Half)v), file.ReadFloat32("f16"));
        Assert.Equal(values.Select(v => FloatConversions.FromBFloat16Bits(FloatConversions.ToBFloat16Bits(v))), file.ReadFloat32("bf16"));
        var f32 = file.GetInfo("f32");
        Assert.Equal(GgmlType.F32, f32.Type);
        Assert.Equal([3L, 2L], f32.Dims);
        Assert.Equal([2L, 3L], f32.Shape);
        Assert.Equal(24, f32.ByteLength);
        Assert.Equal(MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), file.GetBytes("f32").ToArray());
        Assert.Equal(12, file.GetInfo("f16").ByteLength);
        Assert.Equal(GgmlType.BF16, file.GetInfo("bf16").Type);
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    [InlineData(GgmlType.I32)]
    [InlineData(GgmlType.F64)]
    public void RawTensorsKeepTheirBytes(GgmlType type)
    {
        using var temp = new TempFolder();
        var path = temp.File("q.gguf");
        long[] shape = [3, 512];
        var data = new byte[GgmlTypes.ByteLength(type, [512, 3])];
        new Random(1).NextBytes(data);
        new GgufWriter().AddRaw("blk.0.ffn_down.weight", type, shape, data).Write(path);
        using var file = GgufFile.Open(path);
        var info = file.GetInfo("blk.0.ffn_down.weight");
        Assert.Equal(type, info.Type);
        Assert.Equal([512L, 3L], info.Dims);
        Assert.Equal(data.Length, info.ByteLength);
        Assert.Equal(data, file.GetBytes(info.Name).ToArray());
        if (type != GgmlType.F64) Assert.Throws<Glm.Core.GlmException>(() => file.ReadFloat32(info.Name));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(8)]
    [InlineData(128)]
    public void TensorsStartAlignedAndFileIsPadded(int alignment)
    {
        using var temp = new TempFolder();
        var path = temp.File("a.gguf");
        var writer = new GgufWriter(alignment).SetString("general.name", "x");
        for (int i = 0; i < 5; i++) writer.AddFloat32($"t{i}", GgmlType.F16, [i + 1], new float[i + 1]);
        writer.Write(path);
        using var file = GgufFile.Open(path);
        Assert.Equal(alignment, file.Alignment);
        Assert.Equal(alignment != 32, file.Metadata.ContainsKey("general.alignment"));
        Assert.Equal(0, file.DataOffset % alignment);
        long expected = 0;
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(expected, tensor.Offset);
            Assert.Equal(0, (file.DataOffset + tensor.Offset) % alignment);
            expected = (tensor.Offset + tensor.ByteLength + alignment - 1) / alignment * alignment;
        }
        Assert.Equal(file.DataOffset + expected, new FileInfo(path).Length);
        Assert.Equal(["t0", "t1", "t2", "t3", "t4"], file.Tensors.Select(t => t.Name));
    }

    [Fact]
    public unsafe void PointerSeesTheSameBytesAsTheSpan()
    {
        using var temp = new TempFolder();
        var path = temp.File("p.gguf");
        new GgufWriter().AddFloat32("w", GgmlType.F32, [4], [1, 2, 3, 4]).Write(path);
        using var file = GgufFile.Open(path);
        var pointer = (float*)file.GetPointer("w");
        Assert.Equal(3f, pointer[2]);
        Assert.Equal(0, (long)pointer % 32);
    }

    [Fact]
    public void DisposedFileRefusesAccess()
    {
        using var temp = new TempFolder();
        var path = temp.File("d.gguf");
        new GgufWriter().AddFloat32("w", GgmlType.F32, [1], [1]).Write(path);
        var file = GgufFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.GetPointer("w"));
    }

    [Fact]
    public void EmptyFileWithNoTensorsOrKeys()
    {
        using var temp = new TempFolder();
        var path = temp.File("e.gguf");
        new GgufWriter().Write(path);
        Assert.Equal(32, new FileInfo(path).Length); // 24-byte header, zero-padded to the alignment
        using var file = GgufFile.Open(path);
        Assert.Empty(file.Tensors);
        Assert.Empty(file.Metadata);
        Assert.Equal(3u, file.Version);
    }

    [Fact]
    public void WriterRejectsBadInput()
    {
        var writer = new GgufWriter().AddFloat32("w", GgmlType.F32, [2], [1, 2]);
        Assert.Throws<ArgumentException>(() => writer.AddFloat32("w", GgmlType.F32, [2], [1, 2]));
        Assert.Throws<ArgumentException>(() => writer.AddFloat32("x", GgmlType.F32, [3], [1, 2]));
        Assert.Throws<ArgumentException>(() => writer.AddFloat32("q", GgmlType.Q8_0, [32], new float[32]));
        Assert.Throws<ArgumentException>(() => writer.AddRaw("q", GgmlType.Q8_0, [2, 16], new byte[34]));
        Assert.Throws<ArgumentException>(() => writer.AddRaw("q", GgmlType.Q8_0, [32], new byte[33]));
        Assert.Throws<ArgumentException>(() => writer.AddFloat32(new string('n', 64), GgmlType.F32, [1], [1]));
        Assert.Throws<ArgumentException>(() => writer.SetUInt32("general.alignment", 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GgufWriter(48));
    }

    [Fact]
    public void DeferredTensorsAreWrittenAtWriteTime()
    {
        using var temp = new TempFolder();
        var path = temp.File("d.gguf");
        int calls = 0;
        new GgufWriter()
            .AddDeferred("q", GgmlType.Q8_0, [2, 32], stream =>
            {
                calls++;
                for (int i = 0; i < 68; i++) stream.WriteByte((byte)i);
            })
            .AddFloat32("after", GgmlType.F32, [1], [9f])
            .Write(path);
        Assert.Equal(1, calls);
        using var file = GgufFile.Open(path);
        Assert.Equal(Enumerable.Range(0, 68).Select(i => (byte)i), file.GetBytes("q").ToArray());
        Assert.Equal([9f], file.ReadFloat32("after"));
    }

    [Fact]
    public void DeferredTensorOfTheWrongLengthPublishesNothing()
    {
        using var temp = new TempFolder();
        var path = temp.File("d.gguf");
        var writer = new GgufWriter().AddDeferred("w", GgmlType.F32, [4], stream => stream.Write(new byte[12]));
        var error = Assert.Throws<InvalidOperationException>(() => writer.Write(path));
        Assert.Contains("'w'", error.Message);
        Assert.Empty(temp.Names());
    }
}

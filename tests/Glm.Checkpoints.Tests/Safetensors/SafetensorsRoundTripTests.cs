using System.Runtime.InteropServices;
using Glm.Checkpoints.Safetensors;
using Glm.Core;

namespace Glm.Checkpoints.Tests.Safetensors;

public class SafetensorsRoundTripTests
{
    private static float[] Sample(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-3, 4)));
        return values;
    }

    [Fact]
    public void Float32_RoundTripsExactly_WithShapeAndMetadata()
    {
        using var temp = new TempFolder();
        float[] values = [.. Sample(22, 1), float.PositiveInfinity, float.NegativeInfinity];
        var path = temp.File("f32.safetensors");
        new SafetensorsWriter()
            .Add("w", DType.F32, [2, 3, 4], values)
            .SetMetadata("format", "pt")
            .Write(path);

        using var file = SafetensorsFile.Open(path);
        var info = file.Tensors["w"];
        Assert.Equal(DType.F32, info.DType);
        Assert.Equal([2L, 3, 4], info.Shape);
        Assert.Equal(24, info.ElementCount);
        Assert.Equal(96, info.ByteLength);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(values, file.ReadFloat32("w"));
        Assert.Equal(MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), file.GetBytes("w").ToArray());
    }

    [Theory]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void HalfFormats_RoundTripWithinTheirRounding(DType dtype)
    {
        using var temp = new TempFolder();
        float[] values = Sample(1000, 2);
        var path = temp.File("half.safetensors");
        new SafetensorsWriter().Add("w", dtype, [10, 100], values).Write(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(2000, file.Tensors["w"].ByteLength);
        float[] read = file.ReadFloat32("w");
        // Half an ulp, relative: 2^-11 for binary16 (10 stored mantissa bits), 2^-8 for bfloat16 (7 bits).
        double tolerance = dtype == DType.F16 ? Math.Pow(2, -11) : Math.Pow(2, -8);
        for (int i = 0; i < values.Length; i++)
        {
            float expected = dtype == DType.F16
                ? FloatConversions.FromHalfBits(FloatConversions.ToHalfBits(values[i]))
                : FloatConversions.FromBFloat16Bits(FloatConversions.ToBFloat16Bits(values[i]));
            Assert.Equal(expected, read[i]);
            // Below 2^-14 binary16 is subnormal and the relative bound widens to an absolute one.
            double bound = Math.Max(Math.Abs(values[i]) * tolerance, dtype == DType.F16 ? Math.Pow(2, -25) : 0);
            Assert.True(Math.Abs(read[i] - values[i]) <= bound, $"element {i}: {values[i]} read back as {read[i]}");
        }
    }

    [Fact]
    public void ReadFloat32_IntoSpan_MatchesArrayRead_AndChecksLength()
    {
        using var temp = new TempFolder();
        var path = temp.File("m.safetensors");
        float[] values = Sample(12, 3);
        new SafetensorsWriter().Add("w", DType.BF16, [3, 4], values).Write(path);
        using var file = SafetensorsFile.Open(path);

        var destination = new float[12];
        file.ReadFloat32("w", destination);
        Assert.Equal(file.ReadFloat32("w"), destination);
        Assert.Throws<ArgumentException>(() => file.ReadFloat32("w", new float[11]));
    }

    [Fact]
    public void RawTensors_RoundTripAsBytes_AndRefuseFloatReads()
    {
        using var temp = new TempFolder();
        var path = temp.File("raw.safetensors");
        int[] ids = [1, -2, 151329];
        long[] big = [long.MaxValue, -1];
        byte[] mask = [0, 1, 255];
        new SafetensorsWriter()
            .AddRaw("ids", DType.I32, [3], MemoryMarshal.AsBytes(ids.AsSpan()))
            .AddRaw("big", DType.I64, [2], MemoryMarshal.AsBytes(big.AsSpan()))
            .AddRaw("mask", DType.U8, [3], mask)
            .Write(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(ids, MemoryMarshal.Cast<byte, int>(file.GetBytes("ids")).ToArray());
        Assert.Equal(big, MemoryMarshal.Cast<byte, long>(file.GetBytes("big")).ToArray());
        Assert.Equal(mask, file.GetBytes("mask").ToArray());
        Assert.Equal(DType.I64, file.Tensors["big"].DType);
        var error = Assert.Throws<GlmException>(() => file.ReadFloat32("ids"));
        Assert.Contains("'ids'", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public unsafe void GetPointer_SeesTheSameBytesAsGetBytes()
    {
        using var temp = new TempFolder();
        var path = temp.File("p.safetensors");
        new SafetensorsWriter().Add("a", DType.F32, [4], [1f, 2f, 3f, 4f]).Add("b", DType.F16, [2], [5f, 6f]).Write(path);
        using var file = SafetensorsFile.Open(path);
        foreach (var name in new[] { "a", "b" })
        {
            var viaPointer = new ReadOnlySpan<byte>((void*)file.GetPointer(name), (int)file.Tensors[name].ByteLength);
            Assert.Equal(file.GetBytes(name).ToArray(), viaPointer.ToArray());
        }
        Assert.Equal(3f, ((float*)file.GetPointer("a"))[2]);
    }

    [Fact]
    public void ScalarsAndEmptyTensors_RoundTrip()
    {
        using var temp = new TempFolder();
        var path = temp.File("s.safetensors");
        new SafetensorsWriter().Add("scalar", DType.F32, [], [42f]).Add("empty", DType.F16, [0, 4], []).Write(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Empty(file.Tensors["scalar"].Shape);
        Assert.Equal([42f], file.ReadFloat32("scalar"));
        Assert.Equal([0L, 4], file.Tensors["empty"].Shape);
        Assert.Empty(file.ReadFloat32("empty"));
    }

    [Fact]
    public void Writer_RejectsDuplicatesShapeMismatchesAndTheReservedName()
    {
        var writer = new SafetensorsWriter().Add("w", DType.F32, [2], [1f, 2f]);
        Assert.Throws<ArgumentException>(() => writer.Add("w", DType.F32, [2], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("x", DType.F32, [3], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.Add("y", DType.I32, [2], [1f, 2f]));
        Assert.Throws<ArgumentException>(() => writer.AddRaw("z", DType.F32, [1], new byte[3]));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", DType.F32, [1], [1f]));
        Assert.Equal(1, writer.Count);
    }

    [Fact]
    public void Dispose_InvalidatesFurtherReads()
    {
        using var temp = new TempFolder();
        var path = temp.File("d.safetensors");
        new SafetensorsWriter().Add("w", DType.F32, [1], [1f]).Write(path);
        var file = SafetensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadFloat32("w"));
        Assert.Throws<ObjectDisposedException>(() => file.GetPointer("w"));
        file.Dispose();
    }
}

using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Glm.Checkpoints.Safetensors;

namespace Glm.Checkpoints.Tests.Safetensors;

/// <summary>The bytes on disk, checked against the format itself rather than against our own reader.</summary>
public class SafetensorsFormatTests
{
    /// <summary>8-byte little-endian length, the header text, then the data: a file assembled by hand.</summary>
    internal static byte[] Assemble(string header, params byte[][] data)
    {
        byte[] text = Encoding.UTF8.GetBytes(header);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)text.Length);
        return [.. length, .. text, .. data.SelectMany(part => part)];
    }

    internal static byte[] Floats(params float[] values) =>
        values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();

    // The expected files below are what the Python/Rust library writes for the same input (its own serialization
    // tests use these tensors): compact JSON, padded with spaces to a multiple of 8.
    [Theory]
    [InlineData("attn.0", new long[] { 1, 2, 3 }, "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}")]
    [InlineData("attn0", new long[] { 1, 1, 2, 3 }, "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ")]
    public void Writer_MatchesTheReferenceLibraryByteForByte(string name, long[] shape, string expectedHeader)
    {
        using var temp = new TempFolder();
        var path = temp.File("ref.safetensors");
        new SafetensorsWriter().Add(name, DType.F32, shape, [0f, 1f, 2f, 3f, 4f, 5f]).Write(path);
        Assert.Equal(Assemble(expectedHeader, Floats(0f, 1f, 2f, 3f, 4f, 5f)), File.ReadAllBytes(path));
    }

    [Fact]
    public void Writer_EmptyFiles_MatchTheReferenceLibrary()
    {
        using var temp = new TempFolder();
        new SafetensorsWriter().Write(temp.File("empty.safetensors"));
        Assert.Equal(Assemble("{}      "), File.ReadAllBytes(temp.File("empty.safetensors")));
        Assert.Equal(16, File.ReadAllBytes(temp.File("empty.safetensors")).Length);

        new SafetensorsWriter().SetMetadata("framework", "pt").Write(temp.File("meta.safetensors"));
        Assert.Equal(Assemble("{\"__metadata__\":{\"framework\":\"pt\"}}     "), File.ReadAllBytes(temp.File("meta.safetensors")));
    }

    [Fact]
    public void Header_IsPaddedJson_WithContiguousOffsets_InDTypeThenNameOrder()
    {
        using var temp = new TempFolder();
        var path = temp.File("mixed.safetensors");
        new SafetensorsWriter()
            .Add("b.half", DType.F16, [3], [1f, 2f, 3f])
            .Add("a.half", DType.BF16, [1], [1f])
            .Add("z.float", DType.F32, [2], [1f, 2f])
            .Add("c.float", DType.F32, [1, 1], [1f])
            .AddRaw("ids", DType.I64, [1], new byte[8])
            .AddRaw("mask", DType.U8, [5], new byte[5])
            .SetMetadata("format", "pt")
            .SetMetadata("author", "glm")
            .Write(path);

        byte[] bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        string json = header.TrimEnd(' ');
        Assert.True(header.Length - json.Length < 8);
        Assert.EndsWith("}", json);
        Assert.DoesNotContain("\n", json);

        using var document = JsonDocument.Parse(json);
        var entries = document.RootElement.EnumerateObject().ToList();
        Assert.Equal("__metadata__", entries[0].Name);
        Assert.Equal("{\"author\":\"glm\",\"format\":\"pt\"}", entries[0].Value.GetRawText());
        // Largest alignment first (I64, F32, BF16, F16, U8), then by name.
        Assert.Equal(["ids", "c.float", "z.float", "a.half", "b.half", "mask"], entries.Skip(1).Select(e => e.Name));

        long expectedBegin = 0;
        long dataStart = 8 + n;
        foreach (var entry in entries.Skip(1))
        {
            Assert.Equal(["dtype", "shape", "data_offsets"], entry.Value.EnumerateObject().Select(p => p.Name));
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(expectedBegin, offsets[0]);
            int size = DTypes.SizeOf(Enum.Parse<DType>(entry.Value.GetProperty("dtype").GetString()!));
            Assert.Equal(0, (dataStart + offsets[0]) % size);
            expectedBegin = offsets[1];
        }
        Assert.Equal(bytes.Length, dataStart + expectedBegin);
    }

    [Fact]
    public void HandBuiltFile_AsPythonWritesIt_ReadsCorrectly()
    {
        using var temp = new TempFolder();
        var path = temp.File("python.safetensors");
        // Spaced JSON, keys not in offset order, metadata last: all legal, the reader must not care.
        string header = "{\"b\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [4, 8]}, " +
                        "\"a\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [0, 4]}, " +
                        "\"c\": {\"dtype\": \"F32\", \"shape\": [1, 2], \"data_offsets\": [8, 16]}, " +
                        "\"__metadata__\": {\"format\": \"pt\"}}";
        header += new string(' ', (8 - header.Length % 8) % 8);
        byte[] a = [0x80, 0x3F, 0x20, 0xC0]; // bf16 1.0, -2.5
        byte[] b = [0x00, 0x3C, 0xFF, 0x7B]; // f16 1.0, 65504
        File.WriteAllBytes(path, Assemble(header, a, b, Floats(0.5f, -7f)));

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([1f, -2.5f], file.ReadFloat32("a"));
        Assert.Equal([1f, 65504f], file.ReadFloat32("b"));
        Assert.Equal([0.5f, -7f], file.ReadFloat32("c"));
        Assert.Equal(4, file.Tensors["b"].ByteOffset);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(3, file.Tensors.Count);
    }
}

using System.Buffers.Binary;
using Glm.Checkpoints.Safetensors;
using Glm.Core;
using static Glm.Checkpoints.Tests.Safetensors.SafetensorsFormatTests;

namespace Glm.Checkpoints.Tests.Safetensors;

/// <summary>Every malformed file gives a <see cref="GlmException"/> naming the file and, where one is at fault, the tensor.</summary>
public class SafetensorsCorruptionTests
{
    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private static GlmException OpenFails(TempFolder temp, byte[] bytes, params string[] mustMention)
    {
        var path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<GlmException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        foreach (var text in mustMention) Assert.Contains(text, error.Message);
        return error;
    }

    [Fact]
    public void TooShortForTheLength()
    {
        using var temp = new TempFolder();
        OpenFails(temp, [1, 2, 3], "too short");
    }

    [Fact]
    public void HeaderLengthPastEndOfFile()
    {
        using var temp = new TempFolder();
        byte[] bytes = Assemble("{}      ");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 4096);
        OpenFails(temp, bytes, "header length 4096", "past the end");
    }

    [Fact]
    public void HeaderLengthAbsurd()
    {
        using var temp = new TempFolder();
        byte[] bytes = Assemble("{}      ");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        OpenFails(temp, bytes, "exceeds");
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",")]
    [InlineData("not json")]
    public void HeaderNotJson(string header)
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble(header), "not valid JSON");
    }

    [Fact]
    public void HeaderNotAnObject()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("[1, 2]"), "not an object");
    }

    [Fact]
    public void UnknownDType()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{" + Entry("layer.q", "Q4_0", "[2]", 0, 4) + "}", new byte[4]), "'layer.q'", "'Q4_0'");
    }

    [Fact]
    public void ShapeTimesDTypeDisagreesWithOffsets()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{" + Entry("w", "F32", "[2,3]", 0, 20) + "}", new byte[20]), "'w'", "24 bytes", "hold 20");
    }

    [Fact]
    public void ShapeOverflow()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{" + Entry("w", "F32", "[4294967296,4294967296]", 0, 0) + "}"), "'w'", "overflow");
    }

    [Theory]
    [InlineData("[-1]")]
    [InlineData("[1.5]")]
    [InlineData("\"2\"")]
    public void ShapeNotNonNegativeIntegers(string shape)
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{" + Entry("w", "U8", shape, 0, 1) + "}", new byte[1]), "'w'", "shape");
    }

    [Fact]
    public void OffsetsBackwards()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{" + Entry("w", "U8", "[0]", 4, 0) + "}", new byte[4]), "'w'", "end before");
    }

    [Fact]
    public void OffsetsPastTheDataBuffer()
    {
        using var temp = new TempFolder();
        string header = "{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("far", "F32", "[1]", 100, 104) + "}";
        OpenFails(temp, Assemble(header, new byte[8]), "'far'", "[100, 104]", "past");
    }

    [Fact]
    public void TruncatedFile()
    {
        using var temp = new TempFolder();
        var good = temp.File("good.safetensors");
        new SafetensorsWriter().Add("a", DType.F32, [4], [1f, 2f, 3f, 4f]).Add("b", DType.F32, [4], [1f, 2f, 3f, 4f]).Write(good);
        byte[] bytes = File.ReadAllBytes(good);
        OpenFails(temp, bytes[..^3], "'b'", "truncated");
    }

    [Fact]
    public void OverlappingTensors()
    {
        using var temp = new TempFolder();
        string header = "{" + Entry("first", "F32", "[2]", 0, 8) + "," + Entry("second", "F32", "[2]", 4, 12) + "}";
        OpenFails(temp, Assemble(header, new byte[12]), "'second'", "overlap", "'first'");
    }

    [Fact]
    public void GapBetweenTensors()
    {
        using var temp = new TempFolder();
        string header = "{" + Entry("first", "F32", "[1]", 0, 4) + "," + Entry("second", "F32", "[1]", 8, 12) + "}";
        OpenFails(temp, Assemble(header, new byte[12]), "'second'", "gap");
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensor()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{" + Entry("w", "F32", "[1]", 0, 4) + "}", new byte[9]), "trailing");
    }

    [Fact]
    public void DuplicateTensorName()
    {
        using var temp = new TempFolder();
        string header = "{" + Entry("w", "F32", "[1]", 0, 4) + "," + Entry("w", "F32", "[1]", 4, 8) + "}";
        OpenFails(temp, Assemble(header, new byte[8]), "'w'", "twice");
    }

    [Fact]
    public void MetadataValueNotAString()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{\"__metadata__\":{\"total\":5}}"), "'total'", "string");
    }

    [Fact]
    public void MissingFieldInEntry()
    {
        using var temp = new TempFolder();
        OpenFails(temp, Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "'w'", "data_offsets");
    }

    [Fact]
    public void MissingFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("absent.safetensors");
        var error = Assert.Throws<GlmException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void MissingTensorOnLookup_NamesTensorAndFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("ok.safetensors");
        new SafetensorsWriter().Add("present", DType.F32, [1], [1f]).Write(path);
        using var file = SafetensorsFile.Open(path);
        foreach (Action lookup in new Action[] { () => file.ReadFloat32("absent"), () => file.GetBytes("absent"), () => file.GetPointer("absent") })
        {
            var error = Assert.Throws<GlmException>(lookup);
            Assert.Contains("'absent'", error.Message);
            Assert.Contains(path, error.Message);
        }
    }
}

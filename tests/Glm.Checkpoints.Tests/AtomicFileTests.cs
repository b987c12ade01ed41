using System.Text;

namespace Glm.Checkpoints.Tests;

public class AtomicFileTests
{
    [Fact]
    public void WriteAllBytes_WritesTheContent_AndLeavesNoTempFile()
    {
        using var temp = new TempFolder();
        var path = temp.File("state.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        AtomicFile.WriteAllBytes(path, [9]);
        Assert.Equal([9], File.ReadAllBytes(path));
        Assert.Equal(["state.bin"], temp.Names());
    }

    [Fact]
    public void WriteAllText_IsUtf8WithoutBom()
    {
        using var temp = new TempFolder();
        var path = temp.File("metrics.json");
        AtomicFile.WriteAllText(path, "{\"loss\": \"ü\"}");
        Assert.Equal(Encoding.UTF8.GetBytes("{\"loss\": \"ü\"}"), File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_CreatesMissingFolders()
    {
        using var temp = new TempFolder();
        var path = Path.Combine(temp.Path, "run", "step-100", "optimizer.bin");
        AtomicFile.Write(path, stream => stream.Write([4, 5]));
        Assert.Equal([4, 5], File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_NothingAppearsUnderTheFinalNameUntilComplete()
    {
        using var temp = new TempFolder();
        var path = temp.File("checkpoint.safetensors");
        AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[3 << 20]);
            stream.Flush();
            Assert.False(File.Exists(path));
            stream.Write([7]);
        });
        Assert.Equal((3 << 20) + 1, new FileInfo(path).Length);
        Assert.Equal(["checkpoint.safetensors"], temp.Names());
    }

    [Fact]
    public void Write_FailureKeepsTheOldFile_AndCleansUp()
    {
        using var temp = new TempFolder();
        var path = temp.File("checkpoint.safetensors");
        AtomicFile.WriteAllBytes(path, [1, 1, 1]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[2 << 20]);
            Assert.Equal([1, 1, 1], File.ReadAllBytes(path));
            throw new InvalidOperationException("disk on fire");
        }));
        Assert.Equal([1, 1, 1], File.ReadAllBytes(path));
        Assert.Equal(["checkpoint.safetensors"], temp.Names());
    }

    [Fact]
    public void Write_FailureOnANewFile_LeavesNothing()
    {
        using var temp = new TempFolder();
        var path = temp.File("new.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write([1, 2, 3]);
            throw new IOException("interrupted");
        }));
        Assert.Empty(temp.Names());
    }
}

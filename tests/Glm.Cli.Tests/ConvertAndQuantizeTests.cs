using System.Text.Json;

namespace Glm.Cli.Tests;

/// <summary><c>glm convert</c> (HF -> GGUF -> HF) and <c>glm quantize</c> on the trained tiny chatglm model.</summary>
public class ConvertAndQuantizeTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    /// <summary>Largest |logit| difference allowed between the F32 model and its Q8_0 copy (the tiny model's logits are O(1)).</summary>
    private const double Q8LogitTolerance = 0.25;

    private static float[] Logits(string model)
    {
        var result = GlmProcess.Run("logits", "--model", model, "--ids", "1,2,3,4,5");
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonSerializer.Deserialize<float[]>(result.Stdout)!;
    }

    private static void AssertWrote(GlmProcess.Result result, string path)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        string line = Assert.Single(result.Stdout.Trim().Split('\n'));
        Assert.StartsWith("wrote ", line);
        Assert.Contains(Path.GetFullPath(path), line);
        Assert.Contains(" MB, ", line);
        Assert.Contains(" tensors", line);
    }

    [Fact]
    public void Convert_round_trips_and_quantize_gives_a_working_model()
    {
        Assert.True(run.TrainResult.ExitCode == 0, run.TrainResult.Stderr);
        string dir = Directory.CreateTempSubdirectory("glm-cli-convert-").FullName;
        try
        {
            string gguf = Path.Combine(dir, "model.gguf"), back = Path.Combine(dir, "back"), q8 = Path.Combine(dir, "model-q8_0.gguf");

            AssertWrote(GlmProcess.Run("convert", "--input", run.RunDir, "--output", gguf, "--type", "f32"), gguf);
            AssertWrote(GlmProcess.Run("convert", "--input", gguf, "--output", back), back);
            Assert.True(File.Exists(Path.Combine(back, "config.json")));
            Assert.True(File.Exists(Path.Combine(back, "model.safetensors")));
            AssertWrote(GlmProcess.Run("quantize", "--input", gguf, "--output", q8, "--type", "q8_0"), q8);

            float[] original = Logits(run.RunDir);
            Assert.Equal(original, Logits(gguf));
            Assert.Equal(original, Logits(back));
            float[] quantized = Logits(q8);
            Assert.Equal(original.Length, quantized.Length);
            double worst = original.Zip(quantized, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= Q8LogitTolerance, $"Q8_0 logits differ by up to {worst}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Quantize_names_a_missing_input()
    {
        string missing = Path.Combine(Path.GetTempPath(), "glm-no-such-model.gguf");
        var result = GlmProcess.Run("quantize", "--input", missing, "--output", Path.Combine(Path.GetTempPath(), "glm-never.gguf"), "--type", "q8_0");
        AssertOneLineError(result, missing);
    }

    [Fact]
    public void Convert_names_a_missing_input()
    {
        string missing = Path.Combine(Path.GetTempPath(), "glm-no-such-model.gguf");
        var result = GlmProcess.Run("convert", "--input", missing, "--output", Path.Combine(Path.GetTempPath(), "glm-never"));
        AssertOneLineError(result, missing);
    }

    [Fact]
    public void Quantize_rejects_an_unknown_type()
    {
        var result = GlmProcess.Run("quantize", "--input", "x.gguf", "--output", "y.gguf", "--type", "q5_1");
        AssertOneLineError(result, "q5_1");
    }

    private static void AssertOneLineError(GlmProcess.Result result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        string stderr = result.Stderr.Trim();
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Split('\n'));
    }
}

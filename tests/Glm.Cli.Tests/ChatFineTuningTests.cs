using System.Text.Json.Nodes;

namespace Glm.Cli.Tests;

/// <summary><c>glm data chat</c> then <c>glm train --objective chat --init-from</c> on the fixture's pretrained model.</summary>
public class ChatFineTuningTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    /// <summary>A ChatterBot-style corpus: 40 fixed question/answer pairs, so a tiny model can learn the replies.</summary>
    private string WriteChatterBot()
    {
        string path = Path.Combine(run.Root, "smalltalk.yml");
        var lines = new List<string> { "categories:", "- smalltalk", "conversations:" };
        for (int i = 0; i < 40; i++)
        {
            lines.Add($"- - the cat number {i % 4} sat on the mat");
            lines.Add($"  - the dog ran to the tree");
        }
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Fine_tuning_learns_the_replies_and_resumes_exactly()
    {
        Assert.True(run.TrainResult.ExitCode == 0, run.TrainResult.Stderr);
        string data = Path.Combine(run.Root, "chat.jsonl");
        var convert = GlmProcess.Run("data", "chat", "--format", "chatterbot", "--input", WriteChatterBot(), "--out", data);
        Assert.True(convert.ExitCode == 0, convert.Stderr);
        Assert.Contains("wrote 40 conversations", convert.Stdout);
        var first = JsonNode.Parse(File.ReadLines(data).First())!;
        Assert.Equal("user", (string)first["messages"]![0]!["role"]!);
        Assert.Equal("the dog ran to the tree", (string)first["messages"]![1]!["content"]!);

        string[] Args(string outDir) => ["train", "--objective", "chat", "--init-from", run.RunDir, "--data", data, "--out", outDir,
            "--steps", "40", "--eval-every", "20", "--save-every", "20", "--batch", "4", "--seq-len", "32", "--lr", "1e-2", "--warmup", "2"];
        string sft = Path.Combine(run.Root, "sft");
        var train = GlmProcess.Run(Args(sft));
        Assert.True(train.ExitCode == 0, train.Stderr);

        var lines = File.ReadAllLines(Path.Combine(sft, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        double unigram = (double)lines.Single(l => l["unigram_loss"] is not null)["unigram_loss"]!;
        double last = (double)lines.Last(l => l["eval_loss"] is not null)["eval_loss"]!;
        Assert.True(last < 0.5 * unigram, $"held-out reply loss {last:0.000} is not far below the unigram line {unigram:0.000}");
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(sft, "checkpoint", "trainer_state.json")))!;
        Assert.Equal(Path.GetFullPath(run.RunDir), (string)state["init_from"]!);

        // The same run stopped by a time limit after its first step, then resumed: the losses of the unbroken run.
        string split = Path.Combine(run.Root, "sft-split");
        var part = GlmProcess.Run([.. Args(split), "--time-limit", "0.0001"]);
        Assert.True(part.ExitCode == 0, part.Stderr);
        var resumed = GlmProcess.Run("train", "--out", split, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(Losses(sft), Losses(split));
    }

    [Fact]
    public void Data_chat_limits_and_filters_conversations()
    {
        string limited = Path.Combine(run.Root, "limited.jsonl");
        var result = GlmProcess.Run("data", "chat", "--format", "chatterbot", "--input", WriteChatterBot(), "--out", limited, "--limit", "10");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(10, File.ReadAllLines(limited).Length);

        var none = GlmProcess.Run("data", "chat", "--format", "chatterbot", "--input", WriteChatterBot(), "--out", limited, "--max-chars", "5");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no conversation left to write (dropped 40)", none.Stderr);
    }

    [Fact]
    public void Chat_fine_tuning_without_a_model_to_start_from_is_a_clear_error()
    {
        string data = Path.Combine(run.Root, "one.jsonl");
        File.WriteAllText(data, """{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}""");
        var result = GlmProcess.Run("train", "--objective", "chat", "--data", data, "--out", Path.Combine(run.Root, "nope"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--init-from", result.Stderr);
    }

    private static List<string> Losses(string dir) => File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))
        .Select(l => JsonNode.Parse(l)!).Where(l => l["loss"] is not null).Select(l => $"{(int)l["step"]!}:{(double)l["loss"]!:R}").ToList();
}

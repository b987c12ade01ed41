using System.Text.Json.Nodes;

namespace Glm.Cli.Tests;

public class TrainCommandTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void A_run_folder_holds_the_model_the_metrics_and_the_loss_picture()
    {
        Assert.True(run.TrainResult.ExitCode == 0, run.TrainResult.Stderr);
        foreach (string file in new[] { "config.json", "model.safetensors", "tokenizer.json", "generation_config.json", "metrics.jsonl", "loss.svg", "checkpoint/trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(run.RunDir, file)), $"missing {file}");
        var lines = File.ReadAllLines(Path.Combine(run.RunDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(Enumerable.Range(1, 60), lines.Where(l => l["loss"] is not null).Select(l => (int)l["step"]!));
        Assert.Equal([30, 60], lines.Where(l => l["eval_loss"] is not null).Select(l => (int)l["step"]!));
        Assert.Contains("<polyline", File.ReadAllText(Path.Combine(run.RunDir, "loss.svg")));
    }

    [Fact]
    public void Training_brings_the_held_out_loss_below_the_unigram_baseline()
    {
        var lines = File.ReadAllLines(Path.Combine(run.RunDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        double unigram = (double)lines.Single(l => l["unigram_loss"] is not null)["unigram_loss"]!;
        var evals = lines.Where(l => l["eval_loss"] is not null).Select(l => (double)l["eval_loss"]!).ToList();
        Assert.InRange(unigram, 1, Math.Log(300));
        Assert.True(evals[^1] < unigram - 0.5, $"held-out loss {evals[^1]:0.000} is not clearly below the unigram baseline {unigram:0.000}");
    }

    [Fact]
    public void A_killed_run_resumes_with_the_losses_of_an_unbroken_run()
    {
        string killed = Path.Combine(run.Root, "killed");
        string[] args = ["train", "--data", run.Corpus, "--tokenizer", run.Tokenizer, "--out", killed, "--family", "chatglm",
            "--steps", "60", "--eval-every", "30", "--save-every", "10", .. TrainedRunFixture.TinyModel];
        using (var process = GlmProcess.Start(args))
        {
            string state = Path.Combine(killed, "checkpoint", "trainer_state.json");
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!File.Exists(state) && DateTime.UtcNow < deadline && !process.HasExited) Thread.Sleep(50);
            process.Kill(entireProcessTree: true); // SIGKILL: no chance to checkpoint
            process.WaitForExit();
        }
        int stoppedAt = (int)JsonNode.Parse(File.ReadAllText(Path.Combine(killed, "checkpoint", "trainer_state.json")))!["step"]!;
        Assert.InRange(stoppedAt, 10, 50);

        var resumed = GlmProcess.Run("train", "--out", killed, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(Losses(run.RunDir), Losses(killed));
    }

    [Fact]
    public void The_glm_family_trains_and_fills_blanks()
    {
        string dir = Path.Combine(run.Root, "glm");
        var train = GlmProcess.Run(["train", "--data", run.Corpus, "--tokenizer", run.Tokenizer, "--out", dir, "--family", "glm",
            "--steps", "20", "--eval-every", "20", "--save-every", "20", "--mix", "0.6,0.2,0.2", .. TrainedRunFixture.TinyModel]);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("glm", (string)config["model_type"]!);
        Assert.Equal(32, (int)config["max_sequence_length"]!);
        var infill = GlmProcess.Run("infill", "--model", dir, "--text", "The cat [MASK] the mat.");
        Assert.True(infill.ExitCode == 0, infill.Stderr);
        Assert.DoesNotContain("[MASK]", infill.Stdout);
    }

    private static List<(int, double)> Losses(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(l => l["loss"] is not null).Select(l => ((int)l["step"]!, (double)l["loss"]!)).ToList();
}

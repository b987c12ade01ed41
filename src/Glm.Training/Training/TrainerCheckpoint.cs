using Glm.Core;

namespace Glm.Training.Training;

/// <summary>
/// The resumable checkpoint in &lt;out&gt;/checkpoint: model.safetensors (F32, bit-exact), optimizer.bin (AdamW moments,
/// TorchSharp format) and trainer_state.json. Written into checkpoint.tmp and swapped in by renames, so a run killed
/// at any moment leaves either the previous or the new checkpoint whole (checkpoint.old is used if the kill fell
/// between the two renames).
/// </summary>
internal static class TrainerCheckpoint
{
    private const string Folder = "checkpoint", Temp = "checkpoint.tmp", Old = "checkpoint.old";
    private const string Weights = "model.safetensors", Optimizer = "optimizer.bin", State = "trainer_state.json";

    public static void Save(TrainingRun run, TrainerState state)
    {
        string dir = Path.Combine(run.OutDir, Folder), temp = Path.Combine(run.OutDir, Temp), old = Path.Combine(run.OutDir, Old);
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        WeightsFile.Save(run.Model, Path.Combine(temp, Weights));
        run.Optimizer.save_state_dict(Path.Combine(temp, Optimizer));
        state.Save(Path.Combine(temp, State));
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        if (Directory.Exists(dir)) Directory.Move(dir, old);
        Directory.Move(temp, dir);
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
    }

    public static TrainerState LoadState(string outDir) => TrainerState.Load(Path.Combine(Locate(outDir), State));

    public static void LoadInto(TrainingRun run)
    {
        string dir = Locate(run.OutDir);
        WeightsFile.Load(run.Model, Path.Combine(dir, Weights));
        string optimizer = Path.Combine(dir, Optimizer);
        if (!File.Exists(optimizer)) throw new GlmException($"checkpoint {dir} has no {Optimizer}");
        run.Optimizer.load_state_dict(optimizer);
    }

    private static string Locate(string outDir)
    {
        if (!Directory.Exists(outDir)) throw new GlmException($"cannot resume: {outDir} does not exist");
        string dir = Path.Combine(outDir, Folder), old = Path.Combine(outDir, Old);
        if (File.Exists(Path.Combine(dir, State))) return dir;
        if (File.Exists(Path.Combine(old, State))) return old;
        throw new GlmException($"cannot resume: {outDir} has no checkpoint (no {Folder}/{State})");
    }
}

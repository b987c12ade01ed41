using System.Diagnostics;
using Glm.Core;
using Glm.Checkpoints.HuggingFace;
using Glm.Core.Configs;
using Glm.Tokenizers;
using Glm.Training.Data;
using Glm.Training.Evaluation;
using Glm.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>
/// One training run in an output folder: AdamW with warmup + cosine, gradient accumulation and clipping, periodic
/// held-out evaluation, atomic resumable checkpoints and a Hugging Face export (config.json, model.safetensors,
/// tokenizer.json, generation_config.json) plus metrics.jsonl and loss.svg. Deterministic for a seed: every
/// sample's randomness derives from (seed, step, index), so a resumed run repeats the unbroken run's losses.
/// Not thread-safe; dispose to free the model and optimizer.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingRun _run;
    private readonly TrainingOptions _o;
    private readonly MetricsLog _metrics;
    private double _peakFlops;
    private TrainerState _state;

    private Trainer(TrainingRun run, TrainerState state)
    {
        _run = run;
        _o = state.Options;
        _state = state;
        _metrics = new MetricsLog(Path.Combine(run.OutDir, "metrics.jsonl"), state.Step);
        _peakFlops = Throughput.MeasurePeakMatmulFlops(run.Device);
        if (state.Step == 0) _metrics.AppendBaseline(run.UnigramLoss, _peakFlops, run.Model.ParameterCount);
    }

    /// <summary>
    /// Matmul FLOP/s ceiling of this machine: measured at start-up and again at every evaluation, keeping the best, so
    /// a start on a busy machine does not inflate MFU for the whole run.
    /// </summary>
    public double PeakFlops => _peakFlops;

    public IGlmLanguageModel Model => _run.Model;

    /// <summary>Held-out loss of a unigram model of the training text: the line a language model must get below.</summary>
    public double UnigramLoss => _run.UnigramLoss;

    public int Step => _state.Step;

    /// <summary>
    /// Starts a fresh run: writes config.json and tokenizer.json into <paramref name="outDir"/>.
    /// <paramref name="modelConfig"/> is a <see cref="GlmConfig"/> or a <see cref="ChatGlmConfig"/>.
    /// <paramref name="initFrom"/>, when given, is a trained model folder (same config) whose weights start the run:
    /// fine-tuning, or continued pretraining on other data.
    /// </summary>
    public static Trainer StartNew(string outDir, ModelConfig modelConfig, string tokenizerPath, IReadOnlyList<string> dataFiles,
        string? evalFile, TrainingOptions options, string? initFrom = null)
    {
        options.Validate();
        var run = TrainingRun.Create(outDir, modelConfig, tokenizerPath, dataFiles, evalFile, options, initFrom);
        var state = new TrainerState
        {
            Stream = run.Samples.Position,
            InitFrom = initFrom is null ? null : Path.GetFullPath(initFrom),
            Options = options,
            DataFiles = dataFiles.Select(Path.GetFullPath).ToList(),
            EvalFile = evalFile is null ? null : Path.GetFullPath(evalFile),
        };
        return new Trainer(run, state);
    }

    /// <summary>
    /// Continues the run whose last checkpoint is in <paramref name="outDir"/>, exactly where it stopped. A time limit
    /// belongs to one invocation: the earlier one's is not carried over.
    /// </summary>
    public static Trainer Resume(string outDir, double? timeLimitSeconds = null, string? device = null)
    {
        var state = TrainerCheckpoint.LoadState(outDir);
        state = state with { Options = state.Options with { TimeLimitSeconds = timeLimitSeconds ?? 0, Device = device ?? state.Options.Device } };
        var run = TrainingRun.Open(outDir, state);
        return new Trainer(run, state);
    }

    /// <summary>Trains until the last step, the time limit or cancellation; checkpoints before returning.</summary>
    /// <returns>The final held-out evaluation (null when stopped early).</returns>
    public EvalResult? Run(Action<TrainingProgress>? onStep = null, Action<EvalResult>? onEval = null, CancellationToken cancel = default)
    {
        _run.Model.train();
        var clock = Stopwatch.StartNew();
        double startElapsed = _state.ElapsedSeconds, smoothedRate = 0;
        EvalResult? lastEval = null;
        long tokensPerStep = (long)_o.BatchSize * _o.GradAccumulation * _o.SeqLength;
        double flopsPerToken = _run.Model.FlopsPerToken(_o.SeqLength);
        while (_state.Step < _o.Steps)
        {
            bool outOfTime = _o.TimeLimitSeconds > 0 && clock.Elapsed.TotalSeconds >= _o.TimeLimitSeconds;
            if (cancel.IsCancellationRequested || outOfTime)
            {
                SaveCheckpoint(startElapsed + clock.Elapsed.TotalSeconds);
                return null;
            }
            var stepClock = Stopwatch.StartNew();
            double lr = LearningRateSchedule.At(_state.Step, _o);
            double loss = TrainStep(lr);
            double seconds = stepClock.Elapsed.TotalSeconds;
            double rate = tokensPerStep / seconds;
            smoothedRate = smoothedRate == 0 ? rate : 0.9 * smoothedRate + 0.1 * rate;
            _state = _state with
            {
                Step = _state.Step + 1,
                TokensSeen = _state.TokensSeen + tokensPerStep,
                Stream = _run.Samples.Position,
            };
            var elapsed = TimeSpan.FromSeconds(startElapsed + clock.Elapsed.TotalSeconds);
            var progress = new TrainingProgress(_state.Step, _o.Steps, loss, lr, _state.TokensSeen, smoothedRate,
                smoothedRate * flopsPerToken / _peakFlops, elapsed,
                TimeSpan.FromSeconds((_o.Steps - _state.Step) * tokensPerStep / smoothedRate));
            _metrics.Append(progress);
            onStep?.Invoke(progress);

            bool last = _state.Step == _o.Steps;
            if (last || (_o.EvalInterval > 0 && _state.Step % _o.EvalInterval == 0))
            {
                lastEval = Evaluate();
                onEval?.Invoke(lastEval);
            }
            if (last || (_o.CheckpointInterval > 0 && _state.Step % _o.CheckpointInterval == 0))
                SaveCheckpoint(startElapsed + clock.Elapsed.TotalSeconds);
        }
        return lastEval;
    }

    /// <summary>One optimizer update over BatchSize x GradAccumulation sequences; returns the mean loss per target token.</summary>
    private double TrainStep(double lr)
    {
        foreach (var group in _run.Optimizer.ParamGroups) group.LearningRate = lr;
        _run.Optimizer.zero_grad();
        var micro = new List<List<InfillSample>>();
        long targets = 0;
        for (int m = 0; m < _o.GradAccumulation; m++)
        {
            var samples = new List<InfillSample>();
            for (int i = 0; i < _o.BatchSize; i++)
            {
                var sample = _run.Samples.Next(SampleRandom(_state.Step, m * _o.BatchSize + i));
                targets += sample.LossMask.Count(x => x > 0);
                samples.Add(sample);
            }
            micro.Add(samples);
        }
        double total = 0;
        foreach (var samples in micro)
        {
            using var scope = NewDisposeScope();
            using var batch = Batch.From(samples, _run.Model.Family, _run.Device);
            var logits = _run.Model.Logits(batch.InputIds, batch.PositionIds, batch.BlockPositionIds, batch.PartALength);
            var loss = MaskedLoss.SumNll(logits, batch.TargetIds, batch.LossMask) / Math.Max(1, targets);
            loss.backward();
            total += loss.item<float>();
        }
        if (_o.GradClip > 0) nn.utils.clip_grad_norm_(_run.Model.parameters(), _o.GradClip);
        _run.Optimizer.step();
        return total;
    }

    /// <summary>A seed that depends only on (run seed, step, sample index): SplitMix64 finaliser.</summary>
    private Random SampleRandom(int step, int index)
    {
        ulong z = (ulong)_o.Seed * 0x9E3779B97F4A7C15UL + (ulong)step * 0xBF58476D1CE4E5B9UL + (ulong)index * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }

    /// <summary>Held-out loss, perplexity and (for blank infilling) token-level infilling accuracy; for fine-tuning, the loss on held-out replies.</summary>
    public EvalResult Evaluate()
    {
        var result = _o.Objective == TrainingObjective.Chat
            ? Evaluator.EvaluateSamples(_run.Model, _run.ChatEval, _state.Step)
            : Evaluator.Evaluate(_run.Model, _o.Objective, _run.EvalChunks, _run.EvalIds, _o.SeqLength,
                _o.Objective == TrainingObjective.Infill ? _run.TokenBlanks : null, _state.Step);
        _metrics.Append(result);
        _peakFlops = Math.Max(_peakFlops, Throughput.MeasurePeakMatmulFlops(_run.Device));
        return result;
    }

    private void SaveCheckpoint(double elapsedSeconds)
    {
        _state = _state with { ElapsedSeconds = elapsedSeconds };
        _run.Export();
        TrainerCheckpoint.Save(_run, _state);
        LossPicture.Write(_run.OutDir, _metrics, _run.UnigramLoss,
            $"{_run.Model.Family.ToString().ToLowerInvariant()} ({_o.Objective}), {_run.Model.ParameterCount / 1e6:0.##}M parameters");
    }

    public void Dispose() => _run.Dispose();
}

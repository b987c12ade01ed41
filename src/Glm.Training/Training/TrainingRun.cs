using Glm.Checkpoints;
using Glm.Checkpoints.HuggingFace;
using Glm.Core;
using Glm.Core.Configs;
using Glm.Tokenizers;
using Glm.Training.Data;
using Glm.Training.Evaluation;
using Glm.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Glm.Training.Training;

/// <summary>
/// The live objects of a run: model, optimizer, tokenizer, training stream, collators and held-out chunks, bound to
/// an output folder. Owns and disposes the model and optimizer.
/// </summary>
internal sealed class TrainingRun : IDisposable
{
    public required string OutDir { get; init; }
    public required ModelConfig Config { get; init; }
    public required TrainingOptions Options { get; init; }
    public required IGlmLanguageModel Model { get; init; }
    public required AdamW Optimizer { get; init; }
    public required ByteLevelBpeTokenizer Tokenizer { get; init; }
    public required ISampleSource Samples { get; init; }

    /// <summary>Where the model's tensors live (<see cref="TrainingOptions.Device"/>).</summary>
    public required Device Device { get; init; }
    public required BlankInfillingCollator TokenBlanks { get; init; }

    /// <summary>Held-out token chunks (pretraining), scored by <see cref="EvalSamples"/>.</summary>
    public required IReadOnlyList<int[]> EvalChunks { get; init; }

    /// <summary>Held-out conversations as samples (fine-tuning); empty when pretraining.</summary>
    public required IReadOnlyList<InfillSample> ChatEval { get; init; }
    public required EvalTokenIds EvalIds { get; init; }

    /// <summary>Held-out loss of a unigram model of the training text (nats per token), the line to beat.</summary>
    public required double UnigramLoss { get; init; }

    private const int UnigramSampleTokens = 1 << 20;

    /// <param name="initFrom">A model folder whose model.safetensors starts the run (fine-tuning); null for random weights.</param>
    public static TrainingRun Create(string outDir, ModelConfig config, string tokenizerPath, IReadOnlyList<string> dataFiles,
        string? evalFile, TrainingOptions options, string? initFrom = null)
    {
        Directory.CreateDirectory(outDir);
        var tokenizer = ByteLevelBpeTokenizer.Load(tokenizerPath);
        CheckVocabulary(config, tokenizer);
        string target = Path.Combine(outDir, "tokenizer.json");
        if (Path.GetFullPath(tokenizerPath) != Path.GetFullPath(target)) tokenizer.Save(target);
        ModelConfigFile.Write(outDir, config);
        var device = TrainingDevice.Prepare(options.Device);
        var model = GlmModels.Create(config.Match<object>(g => g, c => c), options.Seed);
        try
        {
            if (initFrom is not null) WeightsFile.Load(model, Path.Combine(initFrom, "model.safetensors"));
            ((nn.Module)model).to(device);
            return Build(outDir, config, model, tokenizer, dataFiles, evalFile, options, start: null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public static TrainingRun Open(string outDir, TrainerState state)
    {
        var config = ModelConfigFile.Read(outDir);
        var tokenizer = ByteLevelBpeTokenizer.Load(Path.Combine(outDir, "tokenizer.json"));
        var device = TrainingDevice.Prepare(state.Options.Device);
        var model = GlmModels.Create(config.Match<object>(g => g, c => c), state.Options.Seed);
        ((nn.Module)model).to(device);
        var run = Build(outDir, config, model, tokenizer, state.DataFiles, state.EvalFile, state.Options, state.Stream);
        TrainerCheckpoint.LoadInto(run);
        return run;
    }

    private static TrainingRun Build(string outDir, ModelConfig config, IGlmLanguageModel model, ByteLevelBpeTokenizer tokenizer,
        IReadOnlyList<string> dataFiles, string? evalFile, TrainingOptions o, StreamPosition? start)
    {
        var special = tokenizer.Special;
        var isSentenceEnd = SentenceEnds(tokenizer);
        var blanks = new BlankInfillingCollator(InfillOptions(o, special, 1, 0, 0), isSentenceEnd);
        var ids = new EvalTokenIds(special.GMask, special.Sop, special.EndOfText);
        if (o.Objective == TrainingObjective.Chat) return BuildChat(outDir, config, model, tokenizer, dataFiles, evalFile, o, start, blanks, ids);

        var mixed = new BlankInfillingCollator(InfillOptions(o, special, o.TokenSpanProbability, o.SentenceSpanProbability, o.DocumentSpanProbability), isSentenceEnd);
        ISampleCollator collator = o.Objective == TrainingObjective.Infill
            ? mixed
            : new LanguageModelingCollator(new LanguageModelingOptions { SeqLength = o.SeqLength, Pad = special.EndOfText });

        var corpus = new TrainingCorpus(dataFiles, evalFile);
        var evalChunks = EvalChunking.Spread(corpus.HeldOutSegments(), tokenizer, o.SeqLength - 1, o.EvalSequences);
        if (evalChunks.Count == 0) throw new GlmException("the held-out data is empty: give --eval-data or more training text");
        var unigram = UnigramBaseline.Loss(
            EvalChunking.Chunks(corpus.TrainingSegments(), tokenizer, o.SeqLength - 1, UnigramSampleTokens / (o.SeqLength - 1)),
            evalChunks, tokenizer.VocabSize);
        var streamOptions = new PackedStreamOptions { ChunkSize = collator.MaxSourceLength, EndOfText = special.EndOfText, ShuffleSeed = o.Seed };
        var stream = new PackedTokenStream(corpus.TrainingSegments, tokenizer.Encode, streamOptions, start);

        return new TrainingRun
        {
            OutDir = outDir,
            Config = config,
            Options = o,
            Model = model,
            Optimizer = CreateOptimizer(model, o),
            Tokenizer = tokenizer,
            Samples = new PackedSampleSource(stream, collator),
            Device = model.parameters().First().device,
            TokenBlanks = blanks,
            EvalChunks = evalChunks,
            ChatEval = [],
            UnigramLoss = unigram,
            EvalIds = ids,
        };
    }

    /// <summary>
    /// Fine-tuning on conversations: with an eval file, all of the data trains and the eval file's conversations are
    /// held out; without one, every 20th conversation is held out. The unigram line is that of the training replies.
    /// </summary>
    private static TrainingRun BuildChat(string outDir, ModelConfig config, IGlmLanguageModel model, ByteLevelBpeTokenizer tokenizer,
        IReadOnlyList<string> dataFiles, string? evalFile, TrainingOptions o, StreamPosition? start, BlankInfillingCollator blanks, EvalTokenIds ids)
    {
        List<RenderedChat> Render(IEnumerable<IReadOnlyList<Glm.Core.Chat.ChatTurn>> conversations) => conversations
            .Select(c => ChatTemplate.RenderGlm4(tokenizer, c, addGenerationPrompt: false))
            .Where(c => ChatSamples.HasTarget(c, o.SeqLength))
            .ToList();
        var all = ChatCorpus.Read(dataFiles);
        var training = Render(evalFile is null ? all.Where((_, i) => i % 20 != 19) : all);
        var heldOut = Render(evalFile is null ? all.Where((_, i) => i % 20 == 19) : ChatCorpus.Read([evalFile]));
        if (heldOut.Count == 0) throw new GlmException("no held-out conversation: give --eval-data or at least 20 conversations");
        var evalSamples = heldOut.Take(o.EvalSequences * 4).Select(c => ChatSamples.Build(c, o.SeqLength, tokenizer.Special.EndOfText)).ToList();
        var unigram = UnigramBaseline.Loss(
            training.Select(c => c.Ids.Where((_, i) => c.IsAssistantContent[i]).ToArray()).ToList(),
            heldOut.Select(c => c.Ids.Where((_, i) => c.IsAssistantContent[i]).ToArray()).ToList(),
            tokenizer.VocabSize);
        return new TrainingRun
        {
            OutDir = outDir,
            Config = config,
            Options = o,
            Model = model,
            Optimizer = CreateOptimizer(model, o),
            Tokenizer = tokenizer,
            Samples = new ChatSampleSource(training, o.SeqLength, tokenizer.Special.EndOfText, o.Seed, start),
            Device = model.parameters().First().device,
            TokenBlanks = blanks,
            EvalChunks = [],
            ChatEval = evalSamples,
            UnigramLoss = unigram,
            EvalIds = ids,
        };
    }

    /// <summary>AdamW; weight decay applies to matrices and embeddings only, never to norms or biases.</summary>
    private static AdamW CreateOptimizer(IGlmLanguageModel model, TrainingOptions o)
    {
        var all = model.parameters().ToList();
        var decay = all.Where(p => p.dim() >= 2).ToList();
        var noDecay = all.Where(p => p.dim() < 2).ToList();
        var groups = new List<AdamW.ParamGroup>
        {
            new(decay, new AdamW.Options { LearningRate = o.LearningRate, weight_decay = o.WeightDecay, beta1 = o.Beta1, beta2 = o.Beta2 }),
            new(noDecay, new AdamW.Options { LearningRate = o.LearningRate, weight_decay = 0, beta1 = o.Beta1, beta2 = o.Beta2 }),
        };
        return optim.AdamW(groups, o.LearningRate, o.Beta1, o.Beta2, weight_decay: o.WeightDecay);
    }

    private static InfillingOptions InfillOptions(TrainingOptions o, SpecialTokenIds s, double token, double sentence, double document) => new()
    {
        SeqLength = o.SeqLength,
        Mask = s.Mask, SMask = s.SMask, GMask = s.GMask, Sop = s.Sop, Eop = s.Eop, Pad = s.EndOfText,
        TokenLevel = token, SentenceLevel = sentence, DocumentLevel = document,
    };

    /// <summary>Token ids whose text ends a sentence, for sentence-level ([sMASK]) spans.</summary>
    private static Func<int, bool> SentenceEnds(IGlmTokenizer tokenizer)
    {
        var ends = new bool[tokenizer.VocabSize];
        for (int id = 0; id < ends.Length; id++)
        {
            if (tokenizer.IsSpecial(id)) continue;
            string text = tokenizer.Decode([id]).TrimEnd(' ');
            ends[id] = text.Length > 0 && ".?!;:。？！；…\n".Contains(text[^1]);
        }
        return id => (uint)id < (uint)ends.Length && ends[id];
    }

    private static void CheckVocabulary(ModelConfig config, IGlmTokenizer tokenizer)
    {
        int rows = config.Match(g => g.VocabSize, c => c.PaddedVocabSize);
        if (rows < tokenizer.VocabSize)
            throw new GlmException($"the model's vocabulary ({rows}) is smaller than the tokenizer's ({tokenizer.VocabSize})");
    }

    /// <summary>Writes the Hugging Face folder next to the checkpoint: config.json, model.safetensors, generation_config.json.</summary>
    public void Export()
    {
        ModelConfigFile.Write(OutDir, Config);
        WeightsFile.Save(Model, Path.Combine(OutDir, "model.safetensors"));
        TrainedModel.WriteTrainingArgs(OutDir, Options);
        var special = Tokenizer.Special;
        GenerationConfigFile.Write(OutDir, new GenerationConfig
        {
            EosTokenIds = [special.EndOfText, special.User, special.Observation, special.Eop],
            PadTokenId = special.EndOfText,
            MaxLength = Config.Match(g => g.MaxSequenceLength, c => c.SeqLength),
        });
    }

    public void Dispose()
    {
        Samples.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}

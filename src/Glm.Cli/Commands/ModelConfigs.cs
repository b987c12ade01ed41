using Glm.Checkpoints.HuggingFace;
using Glm.Core.Configs;

namespace Glm.Cli.Commands;

/// <summary>Model configs from command-line sizes, with the vocabulary padded to a multiple of 64.</summary>
internal static class ModelConfigs
{
    public static ModelConfig Build(string family, int vocabSize, int layers, int hidden, int heads, int? kvHeads, int? ffn, int seqLength, bool tieEmbeddings = false)
    {
        int padded = (vocabSize + 63) / 64 * 64;
        if (family == "glm")
        {
            return new GlmConfig
            {
                VocabSize = padded,
                HiddenSize = hidden,
                NumLayers = layers,
                NumAttentionHeads = heads,
                MaxSequenceLength = seqLength,
                IntermediateSize = ffn,
            }.Validate();
        }
        return new ChatGlmConfig
        {
            PaddedVocabSize = padded,
            HiddenSize = hidden,
            NumLayers = layers,
            NumAttentionHeads = heads,
            KvChannels = heads > 0 ? hidden / heads : 0,
            MultiQueryGroupNum = kvHeads ?? Math.Max(1, heads / 2),
            FfnHiddenSize = ffn ?? (8 * hidden / 3 + 15) / 16 * 16,
            SeqLength = seqLength,
            TorchDtype = "float32",
            TieWordEmbeddings = tieEmbeddings,
        }.Validate();
    }
}

using Glm.Core.Configs;

namespace Glm.Training.Tests.Reference;

/// <summary>
/// The original GLM forward pass written straight from glm-spec 1.1 and 1.4: scalar loops in double, no TorchSharp.
/// Weights are looked up by their THUDM/glm Hugging Face names in row-major float arrays. Slow by design; for tiny
/// configs only.
/// </summary>
internal static class GlmReference
{
    /// <summary>Logits [b][t][v] for token ids, 2-D positions (position, block position) and Part A lengths.</summary>
    public static double[][][] Logits(GlmConfig c, IReadOnlyDictionary<string, float[]> w, long[][] ids,
        long[][] positions, long[][] blockPositions, long[] partALength)
    {
        return [.. ids.Select((row, b) => Row(c, w, row, positions[b], blockPositions[b], partALength[b]))];
    }

    private static double[][] Row(GlmConfig c, IReadOnlyDictionary<string, float[]> w, long[] ids, long[] positions,
        long[] blockPositions, long partA)
    {
        int T = ids.Length, C = c.HiddenSize, H = c.NumAttentionHeads, D = C / H;
        int ffn = c.IntermediateSize ?? 4 * C;
        double eps = c.LayerNormEpsilon;

        // x = E[tok] + P[pos] + B[block_pos]
        var embedding = w["glm.word_embeddings.weight"];
        var position = w["glm.transformer.position_embeddings.weight"];
        var block = c.BlockPositionEncoding ? w["glm.transformer.block_position_embeddings.weight"] : null;
        var x = new double[T][];
        for (int t = 0; t < T; t++) {
            x[t] = new double[C];
            for (int i = 0; i < C; i++)
                x[t][i] = embedding[ids[t] * C + i] + position[positions[t] * C + i]
                          + (block is null ? 0 : block[blockPositions[t] * C + i]);
        }

        for (int layer = 0; layer < c.NumLayers; layer++) {
            string p = $"glm.transformer.layers.{layer}.";
            var qkvW = w[p + "attention.query_key_value.weight"];
            var qkvB = w[p + "attention.query_key_value.bias"];

            // The fused output splits into three equal thirds [Q | K | V]; head j owns dims j·D .. j·D + D of each.
            var qkv = new double[T][];
            for (int t = 0; t < T; t++) {
                var a = LayerNorm(x[t], w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps);
                qkv[t] = Scalar.MatVec(qkvW, 3 * C, C, a);
                for (int r = 0; r < 3 * C; r++) qkv[t][r] += qkvB[r];
            }

            for (int t = 0; t < T; t++) {
                // Query t sees key s iff s < |Part A| or s ≤ t (build_mask_matrix).
                var visible = Enumerable.Range(0, T).Where(s => s < partA || s <= t).ToArray();
                var context = new double[C];
                for (int j = 0; j < H; j++) {
                    var query = qkv[t][(j * D)..((j + 1) * D)];
                    var scores = visible.Select(s => Scalar.Dot(query, qkv[s][(C + j * D)..(C + (j + 1) * D)]) / Math.Sqrt(D)).ToArray();
                    var probs = Scalar.Softmax(scores);
                    for (int n = 0; n < visible.Length; n++)
                        for (int d = 0; d < D; d++) context[j * D + d] += probs[n] * qkv[visible[n]][2 * C + j * D + d];
                }
                var attention = Scalar.MatVec(w[p + "attention.dense.weight"], C, C, context);
                var denseB = w[p + "attention.dense.bias"];
                for (int i = 0; i < C; i++) x[t][i] += attention[i] + denseB[i];

                var m = LayerNorm(x[t], w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps);
                var u = Scalar.MatVec(w[p + "mlp.dense_h_to_4h.weight"], ffn, C, m);
                var upB = w[p + "mlp.dense_h_to_4h.bias"];
                for (int i = 0; i < ffn; i++) u[i] = GeluTanh(u[i] + upB[i]);
                var down = Scalar.MatVec(w[p + "mlp.dense_4h_to_h.weight"], C, ffn, u);
                var downB = w[p + "mlp.dense_4h_to_h.bias"];
                for (int i = 0; i < C; i++) x[t][i] += down[i] + downB[i];
            }
        }

        // Final LayerNorm, then the output head tied to the word embeddings.
        return [.. x.Select(xt => Scalar.MatVec(embedding, c.VocabSize, C,
            LayerNorm(xt, w["glm.transformer.final_layernorm.weight"], w["glm.transformer.final_layernorm.bias"], eps)))];
    }

    private static double[] LayerNorm(double[] x, float[] weight, float[] bias, double eps)
    {
        double mean = x.Average();
        double variance = x.Sum(e => (e - mean) * (e - mean)) / x.Length;
        double scale = 1.0 / Math.Sqrt(variance + eps);
        return [.. x.Select((e, i) => (e - mean) * scale * weight[i] + bias[i])];
    }

    // gelu_impl: 0.5·x·(1 + tanh(0.7978845608028654·x·(1 + 0.044715·x²)))
    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * x * (1 + 0.044715 * x * x)));
}

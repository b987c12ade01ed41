using Glm.Core.Configs;

namespace Glm.Training.Tests.Reference;

/// <summary>
/// The ChatGLM2/3 and GLM-4 forward pass written straight from glm-spec 2.3 and 2.8: scalar loops in double, one
/// token at a time, no TorchSharp. Weights are looked up by their Hugging Face names (glm-spec 2.5) in row-major
/// float arrays. Slow by design; for tiny configs only.
/// </summary>
internal static class ChatGlmReference
{
    /// <summary>Logits [b][t][v] for token ids [b][t] at RoPE positions [b][t], causal within each row.</summary>
    public static double[][][] Logits(ChatGlmConfig c, IReadOnlyDictionary<string, float[]> w, long[][] ids, long[][] positions)
    {
        return [.. ids.Select((row, b) => Row(c, w, row, positions[b]))];
    }

    private static double[][] Row(ChatGlmConfig c, IReadOnlyDictionary<string, float[]> w, long[] ids, long[] positions)
    {
        int T = ids.Length, C = c.HiddenSize, H = c.NumAttentionHeads, D = c.KvChannels, ffn = c.FfnHiddenSize;
        int G = c.MultiQueryAttention ? c.MultiQueryGroupNum : H; // KV heads
        double eps = c.LayerNormEpsilon;

        var embedding = w["transformer.embedding.word_embeddings.weight"];
        var x = new double[T][];
        for (int t = 0; t < T; t++)
            x[t] = [.. Enumerable.Range(0, C).Select(i => (double)embedding[ids[t] * C + i])];

        for (int layer = 0; layer < c.NumLayers; layer++) {
            string p = $"transformer.encoder.layers.{layer}.";
            var qkvW = w[p + "self_attention.query_key_value.weight"];
            var qkvB = c.AddQkvBias ? w[p + "self_attention.query_key_value.bias"] : null;
            int qkvRows = H * D + 2 * G * D;

            // q[t][j][d], k[t][g][d], v[t][g][d]; the fused rows are blocked [Q | K | V].
            var q = new double[T][][];
            var k = new double[T][][];
            var v = new double[T][][];
            for (int t = 0; t < T; t++) {
                var a = RmsNorm(x[t], w[p + "input_layernorm.weight"], eps);
                var qkv = Scalar.MatVec(qkvW, qkvRows, C, a);
                if (qkvB is not null)
                    for (int r = 0; r < qkvRows; r++) qkv[r] += qkvB[r];
                q[t] = [.. Enumerable.Range(0, H).Select(j => qkv[(j * D)..((j + 1) * D)])];
                k[t] = [.. Enumerable.Range(0, G).Select(g => qkv[(H * D + g * D)..(H * D + (g + 1) * D)])];
                v[t] = [.. Enumerable.Range(0, G).Select(g => qkv[(H * D + G * D + g * D)..(H * D + G * D + (g + 1) * D)])];

                // RoPE on the first D/2 dims, adjacent pairs (2i, 2i+1), angle = pos·base^(−2i/(D/2)).
                double ropeBase = 10000.0 * c.RopeRatio;
                for (int i = 0; i < D / 4; i++) {
                    double angle = positions[t] * Math.Pow(ropeBase, -2.0 * i / (D / 2));
                    double cos = Math.Cos(angle), sin = Math.Sin(angle);
                    foreach (var head in q[t].Concat(k[t])) {
                        double x0 = head[2 * i], x1 = head[2 * i + 1];
                        head[2 * i] = x0 * cos - x1 * sin;
                        head[2 * i + 1] = x1 * cos + x0 * sin;
                    }
                }
            }

            for (int t = 0; t < T; t++) {
                // Query head j reads KV group j / (H/G); keys s ≤ t (causal); scores scaled by 1/√D.
                var context = new double[H * D];
                for (int j = 0; j < H; j++) {
                    int g = j / (H / G);
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                        scores[s] = Scalar.Dot(q[t][j], k[s][g]) / Math.Sqrt(D);
                    var probs = Scalar.Softmax(scores);
                    for (int s = 0; s <= t; s++)
                        for (int d = 0; d < D; d++) context[j * D + d] += probs[s] * v[s][g][d];
                }
                var attention = Scalar.MatVec(w[p + "self_attention.dense.weight"], C, H * D, context);
                for (int i = 0; i < C; i++) x[t][i] += attention[i];

                // SwiGLU: the first ffn rows of dense_h_to_4h are the gate, the next ffn rows are up.
                var m = RmsNorm(x[t], w[p + "post_attention_layernorm.weight"], eps);
                var u = Scalar.MatVec(w[p + "mlp.dense_h_to_4h.weight"], 2 * ffn, C, m);
                var gated = new double[ffn];
                for (int i = 0; i < ffn; i++) gated[i] = Silu(u[i]) * u[ffn + i];
                var down = Scalar.MatVec(w[p + "mlp.dense_4h_to_h.weight"], C, ffn, gated);
                for (int i = 0; i < C; i++) x[t][i] += down[i];
            }
        }

        var output = c.TieWordEmbeddings ? embedding : w["transformer.output_layer.weight"];
        return [.. x.Select(xt => Scalar.MatVec(output, c.PaddedVocabSize, C, RmsNorm(xt, w["transformer.encoder.final_layernorm.weight"], eps)))];
    }

    private static double[] RmsNorm(double[] x, float[] weight, double eps)
    {
        double meanSquare = x.Sum(e => e * e) / x.Length;
        double scale = 1.0 / Math.Sqrt(meanSquare + eps);
        return [.. x.Select((e, i) => weight[i] * e * scale)];
    }

    private static double Silu(double x) => x / (1 + Math.Exp(-x));
}

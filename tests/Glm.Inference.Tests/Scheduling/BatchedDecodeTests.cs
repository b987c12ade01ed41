using Glm.Inference.Models;
using Glm.Kernels.Quant;
using Xunit.Abstractions;

namespace Glm.Inference.Tests.Scheduling;

/// <summary>
/// <see cref="IDecoderModel.DecodeBatch"/> advances several sequences in one step with the weights read once (a gemm),
/// and must give each sequence the logits it gets alone (one <see cref="IDecoderModel.Decode"/> at a time).
/// </summary>
public sealed class BatchedDecodeTests(ITestOutputHelper output)
{
    /// <summary>
    /// Batched and single steps differ only in float summation order (the gemm's multi-token kernels against the gemv
    /// dot); Q8_0 and Q4_0 quantize each activation row the same way in both, so the same bound holds.
    /// </summary>
    private const float LogitTolerance = 2e-5f;

    [Theory]
    [InlineData("chatglm", "F32", 64)]
    [InlineData("chatglm", "Q8_0", 64)]
    [InlineData("glm4", "F32", 64)]
    [InlineData("glm4", "Q8_0", 64)]
    [InlineData("glm4", "Q4_0", 64)]
    // Rows of 512 and 768 values: whole groups of 16 blocks in the Q4_0 and Q8_0 gemm kernels, plus leftover blocks.
    [InlineData("chatglm", "Q8_0", 512)]
    [InlineData("chatglm", "Q4_0", 512)]
    public void Batched_step_logits_equal_each_sequence_alone(string family, string type, int hidden)
    {
        var ggml = Enum.Parse<GgmlType>(type);
        using var files = family == "glm4" ? SchedulingModel.Glm4(ggml) : SchedulingModel.ChatGlm(ggml, hidden);
        IDecoderModel model = files.Open();
        const int B = 5, Steps = 6;
        int v = model.VocabSize;
        int[][] prompts = [.. Enumerable.Range(0, B).Select(b => files.Prompt(b, 4 + 3 * b))];
        int[][] fed = [.. Enumerable.Range(0, B).Select(b => Enumerable.Range(0, Steps).Select(i => 3 + (7 * b + 11 * i) % 200).ToArray())];

        // Alone: each sequence in the model's own cache, one token per step.
        var alone = new float[B][][];
        for (int b = 0; b < B; b++)
        {
            model.Reset();
            model.Prefill(prompts[b]);
            alone[b] = [.. fed[b].Select(id => model.Decode(id).ToArray())];
        }

        // Batched: every sequence in its own cache, all B advanced by each step.
        KvCache[] caches = [.. Enumerable.Range(0, B).Select(_ => model.CreateCache())];
        for (int b = 0; b < B; b++) model.Prefill(caches[b], prompts[b]);
        var logits = new float[B * v];
        float maxDiff = 0;
        for (int i = 0; i < Steps; i++)
        {
            model.DecodeBatch([.. fed.Select(f => f[i])], caches, logits);
            for (int b = 0; b < B; b++)
            {
                float[] expected = alone[b][i];
                for (int k = 0; k < v; k++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[k] - logits[b * v + k]));
                Assert.Equal(prompts[b].Length + i + 1, caches[b].Length);
            }
        }
        output.WriteLine($"{family} {type} hidden {hidden}: max |batched − alone| = {maxDiff:E2} over {B} sequences × {Steps} steps");
        Assert.InRange(maxDiff, 0, LogitTolerance);
    }

    [Fact]
    public void A_batch_needs_distinct_caches_and_room()
    {
        using var files = SchedulingModel.ChatGlm(GgmlType.F32, context: 64);
        IDecoderModel model = files.Open();
        var cache = model.CreateCache();
        model.Prefill(cache, files.Prompt(0, 4));
        var logits = new float[2 * model.VocabSize];
        Assert.Throws<ArgumentException>(() => model.DecodeBatch([1, 2], [cache, cache], logits));
        model.Prefill(cache, new int[64 - cache.Length]);
        Assert.Throws<Core.GlmException>(() => model.DecodeBatch([1], [cache], logits));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Batched_steps_allocate_nothing_after_warm_up(int threads)
    {
        using var files = SchedulingModel.ChatGlm(GgmlType.Q8_0);
        using var pool = new Kernels.Threading.WorkerPool(threads);
        using var file = Loading.GlmModelFile.Open(files.Path);
        IDecoderModel model = file.CreateModel(pool);
        KvCache[] caches = [.. Enumerable.Range(0, 4).Select(_ => model.CreateCache())];
        int[] tokens = [5, 6, 7, 8];
        var logits = new float[4 * model.VocabSize];
        for (int round = 0; round < 20; round++)
        {
            foreach (var cache in caches)
            {
                cache.Clear();
                model.Prefill(cache, files.Prompt(round, 6));
            }
            for (int i = 0; i < 20; i++) model.DecodeBatch(tokens, caches, logits);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 16; i++) model.DecodeBatch(tokens, caches, logits);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{threads} thread(s): {allocated} bytes over 16 batched steps of 4 sequences");
        Assert.Equal(0, allocated);
    }
}

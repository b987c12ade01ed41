using Glm.Kernels.Threading;

namespace Glm.Kernels.Tests;

public class WorkerPoolTests
{
    private sealed class CountJob : IRowJob
    {
        public int[] Hits = [];

        public void Execute(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                Interlocked.Increment(ref Hits[i]);
            }
        }
    }

    private sealed class ThrowJob : IRowJob
    {
        public void Execute(int start, int end)
        {
            if (start <= 50 && 50 < end)
            {
                throw new InvalidOperationException("row 50");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Run_CoversEveryRowExactlyOnce(int threads)
    {
        using var pool = new WorkerPool(threads);
        Assert.Equal(threads, pool.ThreadCount);
        var job = new CountJob();
        foreach (int count in Enumerable.Range(0, 70).Concat([97, 101, 1001, 4097]))
        {
            foreach (int minChunk in new[] { 1, 3, 16 })
            {
                job.Hits = new int[count];
                pool.Run(job, count, minChunk);
                Assert.All(job.Hits, h => Assert.Equal(1, h));
            }
        }
    }

    private sealed class SleepJob : IRowJob
    {
        public readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> Threads = new();

        public void Execute(int start, int end)
        {
            Threads[Environment.CurrentManagedThreadId] = 1;
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Run_UsesTheWorkerThreads()
    {
        using var pool = new WorkerPool(3);
        var job = new SleepJob();
        pool.Run(job, 60);
        Assert.True(job.Threads.Count >= 2, $"only {job.Threads.Count} thread(s) ran chunks");
    }

    [Fact]
    public void Run_RethrowsAndStaysUsable()
    {
        using var pool = new WorkerPool(3);
        Assert.Throws<InvalidOperationException>(() => pool.Run(new ThrowJob(), 200));
        var job = new CountJob { Hits = new int[300] };
        pool.Run(job, 300);
        Assert.All(job.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Run_AllocatesNothingAfterWarmUp()
    {
        using var pool = new WorkerPool(3);
        var job = new CountJob { Hits = new int[1000] };
        for (int i = 0; i < 200; i++)
        {
            pool.Run(job, 1000);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            pool.Run(job, 1000);
        }
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Dispose_IsIdempotentAndRunAfterDisposeThrows()
    {
        var pool = new WorkerPool(2);
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Run(new CountJob(), 10));
    }

    /// <summary>
    /// Back-to-back small calls with more threads than cores: workers wake late and see a call end and the next begin
    /// under them; every row of every call must still run exactly once, and every call must return.
    /// </summary>
    [Fact]
    public void Back_to_back_calls_with_late_workers_run_every_row_once()
    {
        using var pool = new WorkerPool(Environment.ProcessorCount + 2);
        var job = new CountJob { Hits = new int[37] };
        for (int i = 0; i < 300_000; i++)
        {
            int count = 1 + i % 37;
            job.Hits.AsSpan().Clear();
            pool.Run(job, count, 1 + i % 3);
            int wrong = job.Hits.AsSpan(0, count).IndexOfAnyExcept(1);
            Assert.True(wrong < 0, $"call {i}: row {wrong} ran {(wrong < 0 ? 1 : job.Hits[wrong])} times");
        }
    }
}

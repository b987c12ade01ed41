using System.Runtime.ExceptionServices;

namespace Glm.Kernels.Threading;

/// <summary>Work split by rows: <see cref="Execute"/> is called with disjoint half-open ranges covering [0, count).</summary>
public interface IRowJob
{
    /// <summary>Processes rows [start, end). Called concurrently from several threads with disjoint ranges.</summary>
    void Execute(int start, int end);
}

/// <summary>
/// A fixed set of threads that runs parallel-for over row ranges. The calling thread takes part, so a pool of N threads
/// starts N − 1 workers. <see cref="Run"/> allocates nothing: the caller and the workers claim chunks of rows from a
/// shared counter, so every row is executed exactly once, and <see cref="Run"/> returns when every row is done; it
/// never waits for a worker that has claimed nothing (one not yet scheduled by the OS leaves its chunks to the caller,
/// which matters when other processes keep the cores busy). Idle workers busy-spin for 200 µs (back-to-back decode
/// calls arrive sooner), then sleep on a monitor. Size the pool to the cores the process may use: on an oversubscribed
/// machine spinning threads compete with the work. One <see cref="Run"/> at a time: concurrent calls are serialized on
/// a lock; do not call <see cref="Run"/> from inside a job. Dispose stops the workers.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker (or the waiting caller) busy-spins before blocking: 200 µs.</summary>
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000;

    private readonly Thread[] _workers;
    private readonly object _wake = new();
    private readonly object _finished = new();
    private readonly object _runLock = new();
    private IRowJob? _job;
    private int _count;
    private int _chunk;
    /// <summary>The current call's number (high 32 bits) and its next unclaimed row (low 32 bits), claimed by CAS.</summary>
    private long _next;
    private int _done;
    private long _generation;
    private volatile bool _disposed;
    private Exception? _error;

    /// <summary>Starts <paramref name="threads"/> − 1 background workers (default: <see cref="Environment.ProcessorCount"/>).</summary>
    public WorkerPool(int threads = 0)
    {
        if (threads <= 0)
        {
            threads = Environment.ProcessorCount;
        }
        ThreadCount = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"Glm.Kernels worker {i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Threads that execute work, the caller included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Runs <paramref name="job"/> over rows [0, <paramref name="count"/>) in chunks of at least <paramref name="minChunk"/>
    /// rows and returns when all rows are done. The first exception a chunk throws is rethrown here after all threads
    /// have stopped working on this call.
    /// </summary>
    public void Run(IRowJob job, int count, int minChunk = 1)
    {
        ArgumentNullException.ThrowIfNull(job);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count <= 0)
        {
            return;
        }
        minChunk = Math.Max(1, minChunk);
        if (_workers.Length == 0 || count <= minChunk)
        {
            job.Execute(0, count);
            return;
        }
        lock (_runLock)
        {
            // The counter moves to a new call number, closed (no row left), before the fields change: a worker that read
            // the previous call's counter fails its CAS, and one that reads the closed counter claims nothing.
            long call = (long)(uint)((Volatile.Read(ref _next) >> 32) + 1) << 32;
            Interlocked.Exchange(ref _next, call | uint.MaxValue);
            // About four chunks per thread balances uneven progress without much counter traffic.
            _chunk = Math.Max(minChunk, (count + ThreadCount * 4 - 1) / (ThreadCount * 4));
            _job = job;
            _count = count;
            _error = null;
            Volatile.Write(ref _done, 0);
            // Opening the rows publishes the fields above to every thread that reads the counter.
            Volatile.Write(ref _next, call);
            lock (_wake)
            {
                Interlocked.Increment(ref _generation);
                Monitor.PulseAll(_wake);
            }
            Work();
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _done) != count && System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(20);
            }
            lock (_finished)
            {
                while (Volatile.Read(ref _done) != count)
                {
                    Monitor.Wait(_finished);
                }
            }
            _job = null;
            if (_error is { } e)
            {
                _error = null;
                ExceptionDispatchInfo.Capture(e).Throw();
            }
        }
    }

    /// <summary>Claims and runs chunks of the current call until none is left.</summary>
    private void Work()
    {
        while (true)
        {
            long next = Volatile.Read(ref _next);
            IRowJob? job = _job;
            int count = _count, chunk = _chunk;
            long start = next & uint.MaxValue;
            if (job is null || start >= count)
            {
                return;
            }
            // The CAS succeeds only while this call's chunk is unclaimed, so the call cannot have ended (nor a new one
            // begun): the fields read above are this call's.
            if (Interlocked.CompareExchange(ref _next, next + chunk, next) != next)
            {
                continue;
            }
            int end = (int)Math.Min(count, start + chunk);
            try
            {
                job.Execute((int)start, end);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            if (Interlocked.Add(ref _done, end - (int)start) == count)
            {
                lock (_finished)
                {
                    Monitor.Pulse(_finished);
                }
            }
        }
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            // Busy-spin briefly (no yielding: a yield hands the core to whoever else is runnable, and back-to-back gemv
            // calls arrive microseconds apart), then sleep on the monitor.
            long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (Interlocked.Read(ref _generation) == seen && !_disposed
                   && System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(20);
            }
            lock (_wake)
            {
                while (Interlocked.Read(ref _generation) == seen && !_disposed)
                {
                    Monitor.Wait(_wake);
                }
            }
            if (_disposed)
            {
                return;
            }
            seen = Interlocked.Read(ref _generation);
            Work();
        }
    }

    /// <summary>Stops and joins the workers. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        lock (_wake)
        {
            Monitor.PulseAll(_wake);
        }
        foreach (Thread t in _workers)
        {
            t.Join();
        }
    }
}

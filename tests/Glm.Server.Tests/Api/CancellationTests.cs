using System.Net.Sockets;
using System.Text;
using Glm.Server.Tests.TestDoubles;

namespace Glm.Server.Tests.Api;

public class CancellationTests
{
    [Theory]
    [InlineData("/api/paas/v4/chat/completions")]
    [InlineData("/v1/chat/completions")]
    public async Task Closing_the_connection_mid_stream_cancels_the_model(string path)
    {
        await using var server = await RunningServer.StartAsync();
        server.Chat.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // never released
        const string body = """{"model":"glm-4","stream":true,"messages":[{"role":"user","content":"x"}]}""";
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
            var stream = socket.GetStream();
            string request = $"POST {path} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nContent-Type: application/json\r\n" +
                $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
            var received = new StringBuilder();
            var buffer = new byte[4096];
            while (!received.ToString().Contains("data: "))
                received.Append(Encoding.UTF8.GetString(buffer, 0, await stream.ReadAsync(buffer)));
            Assert.StartsWith("HTTP/1.1 200", received.ToString());
            Assert.False(server.Chat.Cancelled.Task.IsCompleted);
        }

        await server.Chat.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // The generation is over: nothing waits or runs.
        string metrics = await server.Http.GetStringAsync("/metrics");
        for (int i = 0; i < 50 && !metrics.Contains("glm_requests_running 0"); i++)
        {
            await Task.Delay(50);
            metrics = await server.Http.GetStringAsync("/metrics");
        }
        Assert.Contains("glm_requests_running 0", metrics);
        Assert.Contains("glm_queue_depth 0", metrics);
    }
}

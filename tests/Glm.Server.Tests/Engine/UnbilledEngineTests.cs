using Glm.Server.Engine;
using Glm.Server.Models;
using Glm.Server.Tests.Api;

namespace Glm.Server.Tests.Engine;

/// <summary>The engine served without a platform (<c>glm serve --no-auth</c>): no key needed, nothing billed.</summary>
public sealed class UnbilledEngineTests
{
    [Fact]
    public async Task Without_a_platform_anyone_is_served_by_the_engine()
    {
        string folder = Directory.CreateTempSubdirectory("glm-unbilled-").FullName;
        try
        {
            SyntheticGguf.WriteTiny(folder, contextLength: 1024);
            string registry = Path.Combine(folder, "serve.json");
            await File.WriteAllTextAsync(registry, """{ "models": { "glm-4": { "checkpoint": "tiny.gguf", "context_window": 1024, "parallel": 3 } } }""");
            await using var app = GlmServer.Build(new GlmServerOptions
            {
                Registry = ModelRegistry.Load(registry),
                Backends = EngineBackends.Create(threads: 1, billing: null),
                Urls = "http://127.0.0.1:0",
            });
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

            var (status, body) = await http.PostJsonAsync("/v1/chat/completions",
                """{"model":"glm-4","max_tokens":3,"messages":[{"role":"user","content":"Hello"}]}""");
            Assert.Equal(200, status);
            Assert.Equal("glm-4", (string?)body["model"]);
            int completion = (int)body["usage"]!["completion_tokens"]!;
            Assert.InRange(completion, 1, 3);

            // The engine's scheduler in /metrics: its three KV slots, all free again, and the tokens it generated.
            string metrics = await http.GetStringAsync("/metrics");
            Assert.Contains("glm_kv_slots_total{model=\"glm-4\"} 3\n", metrics);
            Assert.Contains("glm_kv_slots_in_use{model=\"glm-4\"} 0\n", metrics);
            Assert.Contains("glm_scheduler_queue_depth{model=\"glm-4\"} 0\n", metrics);
            Assert.Contains($"glm_scheduler_generated_tokens_total{{model=\"glm-4\"}} {completion}\n", metrics);
            await app.StopAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

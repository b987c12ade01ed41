using Glm.Server.Gate;
using Glm.Server.Models;
using Microsoft.AspNetCore.Builder;

namespace Glm.Server.Tests.TestDoubles;

/// <summary>
/// A real server on 127.0.0.1 (a free port) over a registry file written to a temporary folder: glm-4 (context 64,
/// max output 20, default 10), glm-4-flash (same) and embedding-3. Both chat models answer with <see cref="Chat"/>.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string Registry = """
        { "models": {
            "glm-4": { "checkpoint": "glm4", "context_window": 64, "max_output_tokens": 20, "default_max_tokens": 10,
                       "quantization": "q8_0", "price_per_million_input": 100, "price_per_million_output": 100,
                       "rate_limits": { "concurrency": 8 } },
            "glm-4-flash": { "checkpoint": "glm4", "context_window": 64, "max_output_tokens": 20, "default_max_tokens": 10 },
            "embedding-3": { "checkpoint": "emb", "kind": "embedding", "context_window": 512 } } }
        """;

    private readonly string _folder;
    private readonly WebApplication _app;

    private RunningServer(string folder, WebApplication app, ScriptedChatClient chat)
    {
        _folder = folder;
        _app = app;
        Chat = chat;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
    }

    public ScriptedChatClient Chat { get; }

    public HttpClient Http { get; }

    public Uri BaseAddress => Http.BaseAddress!;

    public static async Task<RunningServer> StartAsync(long maxBodyBytes = 1 << 20, IRequestGate? gate = null)
    {
        string folder = Directory.CreateTempSubdirectory("glm-server-test").FullName;
        string file = Path.Combine(folder, "models.json");
        await File.WriteAllTextAsync(file, Registry);
        var chat = new ScriptedChatClient();
        var options = new GlmServerOptions
        {
            Registry = ModelRegistry.Load(file),
            Backends = entry => entry.Kind == ModelKind.Chat
                ? new ModelBackend(chat, null, new WordTokenizer())
                : new ModelBackend(null, new FakeEmbeddings(), new WordTokenizer()),
            Urls = "http://127.0.0.1:0",
            MaxRequestBodyBytes = maxBodyBytes,
            Gate = gate ?? new AllowAllGate(),
        };
        var app = GlmServer.Build(options);
        await app.StartAsync();
        return new RunningServer(folder, app, chat);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

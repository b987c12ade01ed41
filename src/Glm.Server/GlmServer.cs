using Glm.Server.Api;
using Glm.Server.Api.OpenAi;
using Glm.Server.Api.Zhipu;
using Glm.Server.Gate;
using Glm.Server.Metrics;
using Glm.Server.Models;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scalar.AspNetCore;

namespace Glm.Server;

/// <summary>
/// The HTTP server: Zhipu's API under <c>/api/paas/v4</c>, OpenAI's under <c>/v1</c>, plus <c>/health</c>,
/// <c>/metrics</c> (Prometheus), <c>/openapi/v1.json</c> and a browsable reference at <c>/scalar</c>.
/// </summary>
public static class GlmServer
{
    /// <summary>Builds the app, not yet started: call <c>RunAsync</c> or <c>StartAsync</c>. Disposing the app disposes
    /// the loaded model backends.</summary>
    public static WebApplication Build(GlmServerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.ConfigureHttpJsonOptions(json => WireJson.Configure(json.SerializerOptions));
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.Gate);
        builder.Services.AddSingleton(_ => new ServedModels(options.Registry, options.Backends));
        builder.Services.AddSingleton<RequestIds>();
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton<ChatRunner>();
        builder.Services.AddSingleton(_ => new AsyncJobs<ZhipuChatCompletion>(options.AsyncResultRetention, TimeProvider.System));

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Use(async (context, next) =>
        {
            await next(context);
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.RequestCompleted(route, context.Response.StatusCode);
        });

        app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).WithSummary("Liveness");
        var served = app.Services.GetRequiredService<ServedModels>();
        app.MapGet("/metrics", () => TypedResults.Text(metrics.Render(served.Loaded()), "text/plain; version=0.0.4; charset=utf-8"))
            .WithSummary("Prometheus metrics");
        app.MapGroup("/api/paas/v4").WithTags("Zhipu v4").MapZhipu()
            .AddEndpointFilter(Filter(app, ApiDialect.Zhipu, options.Gate, ZhipuEndpoints.Error));
        app.MapGroup("/v1").WithTags("OpenAI v1").MapOpenAi()
            .AddEndpointFilter(Filter(app, ApiDialect.OpenAi, options.Gate, OpenAiEndpoints.Error));
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }

    private static DialectFilter Filter(WebApplication app, ApiDialect dialect, IRequestGate gate, Func<ApiException, IResult> toResult) =>
        new(dialect, gate, toResult, app.Services.GetRequiredService<ILogger<DialectFilter>>());
}

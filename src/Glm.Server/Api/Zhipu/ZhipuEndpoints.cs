using System.Runtime.CompilerServices;
using Glm.Inference.Scheduling;
using Glm.Server.Api.OpenAi;
using Glm.Server.Gate;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;

namespace Glm.Server.Api.Zhipu;

/// <summary>
/// Zhipu's <c>/api/paas/v4</c> dialect: chat completions (JSON or SSE with usage on the last chunk and
/// <c>data: [DONE]</c>), async completions with polling, embeddings, models and tokenize.
/// </summary>
internal static class ZhipuEndpoints
{
    public static RouteGroupBuilder MapZhipu(this RouteGroupBuilder group)
    {
        group.MapPost("/chat/completions", ChatAsync).Accepts<ZhipuChatRequest>("application/json")
            .WithSummary("Chat completion; SSE when stream is true");
        group.MapPost("/async/chat/completions", SubmitAsync).Accepts<ZhipuChatRequest>("application/json")
            .WithSummary("Starts a chat completion in the background");
        group.MapGet("/async-result/{id}", Poll).WithSummary("State, then result, of an async chat completion");
        group.MapCommon();
        return group;
    }

    /// <summary>Zhipu's error envelope, <c>{"error":{"code":"1211","message":...}}</c>.</summary>
    public static IResult Error(ApiException e) => TypedResults.Json(new ZhipuError(new ZhipuErrorBody(e.Code, e.Message)), WireJson.Options, statusCode: e.Status);

    private static async Task<Results<Ok<ZhipuChatCompletion>, ServerSentEventsResult<string>>> ChatAsync(HttpContext http, ChatRunner runner)
    {
        var request = await WireJson.ReadAsync<ZhipuChatRequest>(http.Request);
        var run = runner.Start(ToCall(request, http));
        if (request.Stream == true)
            return TypedResults.ServerSentEvents(StreamAsync(await run.StartStreamAsync(http), http.RequestAborted));
        using (run)
            return TypedResults.Ok(await CompleteAsync(run, http.RequestAborted));
    }

    private static async Task<Ok<ZhipuAsyncTask>> SubmitAsync(HttpContext http, ChatRunner runner, AsyncJobs<ZhipuChatCompletion> jobs, IHostApplicationLifetime lifetime)
    {
        var request = await WireJson.ReadAsync<ZhipuChatRequest>(http.Request);
        var run = runner.Start(ToCall(request, http));
        var admission = AdmissionHold.TakeOver(http);   // the caller's concurrency slot stays taken while the task runs
        var job = jobs.Submit(RequestIds.NewId(), ChatRunner.ScopeOf(http.Items[DialectFilter.CallerKey]), run.RequestId, run.Entry.Name, async stopping =>
        {
            using (admission)
            using (run)
            {
                try
                {
                    return await CompleteAsync(run, stopping);
                }
                catch (SchedulerBusyException e)
                {
                    throw ApiException.Busy(e);   // the task fails with 1302, not as a network error
                }
            }
        }, lifetime.ApplicationStopping);
        return TypedResults.Ok(new ZhipuAsyncTask { Id = job.Id, RequestId = job.RequestId, Model = job.Model, TaskStatus = "PROCESSING" });
    }

    private static Results<Ok<ZhipuAsyncTask>, Ok<ZhipuChatCompletion>> Poll(string id, HttpContext http, AsyncJobs<ZhipuChatCompletion> jobs)
    {
        var job = jobs.Find(id, ChatRunner.ScopeOf(http.Items[DialectFilter.CallerKey])) ?? throw new ApiException(404, "1214", $"invalid id: no async task {id} (unknown, or its result expired)", "id");
        return job.Status switch
        {
            AsyncJobStatus.Processing => TypedResults.Ok(new ZhipuAsyncTask { Id = job.Id, RequestId = job.RequestId, TaskStatus = "PROCESSING" }),
            AsyncJobStatus.Success => TypedResults.Ok(Finished(job.Result!, job.Id, "SUCCESS")),
            _ => TypedResults.Ok(new ZhipuChatCompletion
            {
                Id = job.Id,
                RequestId = job.RequestId,
                Model = job.Model,
                TaskStatus = "FAIL",
                Error = new ZhipuErrorBody(job.Error!.Code, job.Error.Message),
            }),
        };
    }

    private static ZhipuChatCompletion Finished(ZhipuChatCompletion result, string id, string status) => new()
    {
        Id = id,
        RequestId = result.RequestId,
        Created = result.Created,
        Model = result.Model,
        Choices = result.Choices,
        Usage = result.Usage,
        TaskStatus = status,
    };

    // Zhipu's ranges: temperature and top_p in the open interval (0,1); temperature <= 0 or do_sample=false is greedy
    // (temperature 0 and top_k 1 for the engine). Up to four stop words and every tool_choice: a superset of Zhipu's
    // single stop word and "auto" only.
    internal static ChatCall ToCall(ZhipuChatRequest r, HttpContext http)
    {
        var options = new ChatOptions { AdditionalProperties = [] };
        bool greedy = r.DoSample == false || r.Temperature is <= 0;
        if (greedy)
        {
            options.Temperature = 0f;
            options.TopK = 1;
        }
        else
        {
            options.Temperature = (float)Math.Min(r.Temperature ?? 0.95, 0.99);
            options.TopP = (float)Math.Clamp(r.TopP ?? 0.7, 0.01, 0.99);
        }
        options.AdditionalProperties["do_sample"] = !greedy;
        if (r.UserId is { } user)
        {
            if (user.Length is < 6 or > 128)
                throw ApiException.Invalid("user_id", $"must be 6-128 characters (got {user.Length})");
            options.AdditionalProperties["user_id"] = user;
        }
        options.StopSequences = ChatMapping.ToStops(r.Stop, max: 4);
        options.Seed = r.Seed;
        ChatMapping.ApplyTools(options, r.Tools, r.ToolChoice);
        options.ResponseFormat = ChatMapping.ToResponseFormat(r.ResponseFormat);
        foreach (var (name, value) in new[] { ("sensitive_word_check", r.SensitiveWordCheck), ("meta", r.Meta), ("extra", r.Extra), ("thinking", r.Thinking) })
            if (value is { } v)
                options.AdditionalProperties[name] = v;
        options.AdditionalProperties["caller"] = http.Items[DialectFilter.CallerKey];
        return new ChatCall(r.Model, ChatMapping.ToMessages(r.Messages), options, r.MaxTokens, r.RequestId);
    }

    private static async Task<ZhipuChatCompletion> CompleteAsync(ChatRun run, CancellationToken cancellationToken)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in run.ReadAsync(cancellationToken))
            updates.Add(update);
        return new ZhipuChatCompletion
        {
            Id = run.RequestId,
            RequestId = run.RequestId,
            Created = run.Created,
            Model = run.Entry.Name,
            Choices = [new ZhipuChoice { Index = 0, FinishReason = Reason(run.FinishReason), Message = ChatMapping.ToWireMessage(updates.ToChatResponse()) }],
            Usage = ChatMapping.ToWire(run.Usage),
        };
    }

    // Every delta repeats role; the last chunk has the finish reason, an empty delta and usage; then [DONE].
    private static async IAsyncEnumerable<string> StreamAsync(ChatRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (run)
        {
            await foreach (var (update, error) in WireJson.Guard(run.ReadAsync(cancellationToken), cancellationToken))
            {
                if (error is not null)
                {
                    yield return WireJson.Serialize(new ZhipuError(new ZhipuErrorBody("1234", $"network error: {error.Message}")));
                    yield break;
                }
                if (ChatMapping.ToDelta(update, repeatRole: true) is { } delta)
                    yield return WireJson.Serialize(Chunk(run, delta, null, null));
            }
            var last = new WireDelta { Role = "assistant", Content = "" };
            yield return WireJson.Serialize(Chunk(run, last, Reason(run.FinishReason), ChatMapping.ToWire(run.Usage)));
            yield return "[DONE]";
        }
    }

    private static ZhipuChunk Chunk(ChatRun run, WireDelta delta, string? finishReason, WireUsage? usage) => new()
    {
        Id = run.RequestId,
        Created = run.Created,
        Model = run.Entry.Name,
        Choices = [new ZhipuChunkChoice { Index = 0, FinishReason = finishReason, Delta = delta }],
        Usage = usage,
    };

    private static string Reason(ChatFinishReason reason) => reason == ChatFinishReason.ContentFilter ? "sensitive" : reason.Value;
}

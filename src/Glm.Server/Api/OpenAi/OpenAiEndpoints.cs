using System.Runtime.CompilerServices;
using Glm.Server.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace Glm.Server.Api.OpenAi;

/// <summary>
/// OpenAI's <c>/v1</c> dialect: chat completions (JSON or SSE; usage in an extra chunk when
/// <c>stream_options.include_usage</c>), embeddings, models and tokenize, so OpenAI clients work unchanged.
/// </summary>
internal static class OpenAiEndpoints
{
    public static RouteGroupBuilder MapOpenAi(this RouteGroupBuilder group)
    {
        group.MapPost("/chat/completions", ChatAsync).Accepts<OpenAiChatRequest>("application/json")
            .WithSummary("Chat completion; SSE when stream is true");
        group.MapCommon();
        return group;
    }

    /// <summary>OpenAI's error envelope; an unknown model is 404, as OpenAI answers it.</summary>
    public static IResult Error(ApiException e)
    {
        int status = e.Code == "1211" ? StatusCodes.Status404NotFound : e.Status;
        string type = status switch
        {
            401 => "authentication_error",
            403 or 434 => "permission_error",
            429 => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        return TypedResults.Json(new OpenAiError(new OpenAiErrorBody(e.Message, type, e.Param, e.Code)), WireJson.Options, statusCode: status);
    }

    private static async Task<Results<Ok<OpenAiChatCompletion>, ServerSentEventsResult<string>>> ChatAsync(HttpContext http, ChatRunner runner)
    {
        var request = await WireJson.ReadAsync<OpenAiChatRequest>(http.Request);
        var run = runner.Start(ToCall(request, http));
        if (request.Stream == true)
            return TypedResults.ServerSentEvents(StreamAsync(await run.StartStreamAsync(http), request.StreamOptions?.IncludeUsage == true, http.RequestAborted));
        using (run)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in run.ReadAsync(http.RequestAborted))
                updates.Add(update);
            return TypedResults.Ok(new OpenAiChatCompletion
            {
                Id = "chatcmpl-" + run.RequestId,
                Created = run.Created,
                Model = run.Entry.Name,
                RequestId = run.RequestId,
                Choices = [new OpenAiChoice { Index = 0, Message = ChatMapping.ToWireMessage(updates.ToChatResponse()), FinishReason = Reason(run.FinishReason) }],
                Usage = ChatMapping.ToWire(run.Usage),
            });
        }
    }

    // OpenAI's ranges: temperature [0,2] (0 is greedy), top_p [0,1], penalties [-2,2], up to four stop sequences.
    internal static ChatCall ToCall(OpenAiChatRequest r, HttpContext http)
    {
        var options = new ChatOptions { AdditionalProperties = [] };
        if (r.N is { } n && n != 1)
            throw ApiException.Invalid("n", $"only 1 choice is served (got {n})");
        if (r.Temperature is < 0 or > 2)
            throw ApiException.Invalid("temperature", $"must be in [0, 2] (got {r.Temperature})");
        if (r.TopP is < 0 or > 1)
            throw ApiException.Invalid("top_p", $"must be in [0, 1] (got {r.TopP})");
        options.FrequencyPenalty = Penalty("frequency_penalty", r.FrequencyPenalty);
        options.PresencePenalty = Penalty("presence_penalty", r.PresencePenalty);
        bool greedy = r.DoSample == false || r.Temperature == 0;
        if (greedy)
        {
            options.Temperature = 0f;
            options.TopK = 1;
        }
        else
        {
            options.Temperature = (float?)r.Temperature;
            options.TopP = (float?)r.TopP;
        }
        options.AdditionalProperties["do_sample"] = !greedy;
        if ((r.UserId ?? r.User) is { } user)
            options.AdditionalProperties["user_id"] = user;
        options.StopSequences = ChatMapping.ToStops(r.Stop, max: 4);
        options.Seed = r.Seed;
        ChatMapping.ApplyTools(options, r.Tools, r.ToolChoice);
        options.ResponseFormat = ChatMapping.ToResponseFormat(r.ResponseFormat);
        options.AdditionalProperties["caller"] = http.Items[DialectFilter.CallerKey];
        return new ChatCall(r.Model, ChatMapping.ToMessages(r.Messages), options, r.MaxCompletionTokens ?? r.MaxTokens, r.RequestId);
    }

    private static float? Penalty(string field, double? value) =>
        value is < -2 or > 2 ? throw ApiException.Invalid(field, $"must be in [-2, 2] (got {value})") : (float?)value;

    // Role only in the first delta; a last content chunk with the finish reason; usage in an extra chunk on request.
    private static async IAsyncEnumerable<string> StreamAsync(ChatRun run, bool includeUsage, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using (run)
        {
            string id = "chatcmpl-" + run.RequestId;
            bool first = true;
            await foreach (var (update, error) in WireJson.Guard(run.ReadAsync(cancellationToken), cancellationToken))
            {
                if (error is not null)
                {
                    yield return WireJson.Serialize(new OpenAiError(new OpenAiErrorBody($"network error: {error.Message}", "server_error", null, "1234")));
                    yield break;
                }
                if (ChatMapping.ToDelta(update, repeatRole: first) is { } delta)
                {
                    first = false;
                    yield return WireJson.Serialize(Chunk(run, id, new OpenAiChunkChoice { Delta = delta }));
                }
            }
            yield return WireJson.Serialize(Chunk(run, id, new OpenAiChunkChoice { FinishReason = Reason(run.FinishReason) }));
            if (includeUsage)
                yield return WireJson.Serialize(new OpenAiChunk { Id = id, Created = run.Created, Model = run.Entry.Name, Usage = ChatMapping.ToWire(run.Usage) });
            yield return "[DONE]";
        }
    }

    private static OpenAiChunk Chunk(ChatRun run, string id, OpenAiChunkChoice choice) =>
        new() { Id = id, Created = run.Created, Model = run.Entry.Name, Choices = [choice] };

    // OpenAI clients know stop, length, tool_calls and content_filter only.
    private static string Reason(ChatFinishReason reason) =>
        reason == ChatFinishReason.Length || reason == ChatFinishReason.ToolCalls || reason == ChatFinishReason.ContentFilter ? reason.Value : "stop";
}

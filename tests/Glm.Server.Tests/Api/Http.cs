using System.Text;
using System.Text.Json.Nodes;

namespace Glm.Server.Tests.Api;

internal static class Http
{
    public static async Task<(int Status, JsonNode Body)> PostJsonAsync(this HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    public static async Task<(int Status, JsonNode Body)> GetJsonAsync(this HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>The SSE body split into events (each without its trailing blank line).</summary>
    public static async Task<(string Raw, string[] Events)> PostStreamAsync(this HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string raw = await response.Content.ReadAsStringAsync();
        return (raw, raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries));
    }
}

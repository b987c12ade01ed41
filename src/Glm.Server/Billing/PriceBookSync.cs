using Glm.Platform;
using Glm.Server.Models;

namespace Glm.Server.Billing;

/// <summary>
/// Puts the registry's prices into the platform's price book when a server starts. A price that differs from the one
/// in force is added as a new price effective now; the old one stays, so rows already written keep the cost they had
/// and the price history is the book itself. An unchanged price adds nothing.
/// </summary>
public static class PriceBookSync
{
    /// <summary>Returns the names of the models whose price was added or changed.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(ModelRegistry registry, IPlatformStore store, PlatformAdmin admin, CancellationToken ct = default)
    {
        var changed = new List<string>();
        foreach (var entry in registry.Entries.Where(e => e.Kind == ModelKind.Chat))
        {
            var current = await store.FindPriceAsync(entry.Name, DateTimeOffset.UtcNow, ct);
            if (current is not null && current.InputPerMillion == entry.Pricing.InputPerMillion && current.OutputPerMillion == entry.Pricing.OutputPerMillion)
                continue;
            await admin.SetPriceAsync(entry.Name, entry.Pricing.InputPerMillion, entry.Pricing.OutputPerMillion, ct: ct);
            changed.Add(entry.Name);
        }
        return changed;
    }
}

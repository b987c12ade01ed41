namespace Glm.Core.Configs;

internal static class ConfigChecks
{
    public static void Positive(int value, string field)
    {
        if (value <= 0) throw new GlmException($"{field} must be a positive integer, got {value}");
    }

    public static void Epsilon(double value, string field)
    {
        if (!(value > 0 && value < 1)) throw new GlmException($"{field} must be in (0, 1), got {value}");
    }
}

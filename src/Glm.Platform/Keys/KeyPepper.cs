using System.Security.Cryptography;
using Glm.Core;

namespace Glm.Platform;

/// <summary>
/// Finds the server pepper every process that issues or checks keys must share (the CLI and all server nodes).
/// </summary>
public static class KeyPepper
{
    /// <summary>The environment variable that holds the pepper, Base64, at least 32 bytes.</summary>
    public const string Variable = "GLM_KEY_PEPPER";

    /// <summary>
    /// The pepper from <see cref="Variable"/> when set; otherwise from <paramref name="file"/> (default
    /// <c>~/.glm/key-pepper</c>), created with 32 random bytes, readable by its owner only, when missing.
    /// Keep the file out of database backups: a copy of both lets anyone recompute every key.
    /// </summary>
    public static KeySecrets Load(string? file = null)
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } text)
        {
            try
            {
                return new KeySecrets(Convert.FromBase64String(text));
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new GlmException($"{Variable} must be Base64 of at least 32 bytes: {e.Message}");
            }
        }
        file ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".glm", "key-pepper");
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var stream = new FileStream(file, options);
            stream.Write(RandomNumberGenerator.GetBytes(32));
        }
        return new KeySecrets(File.ReadAllBytes(file));
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Glm.Platform;

/// <summary>
/// Makes and checks key secrets with a server pepper (a random value of at least 32 bytes kept outside the database,
/// e.g. in an environment variable or a key vault).
/// </summary>
/// <remarks>
/// Why not a slow password hash (bcrypt, Argon2): a Zhipu client may authenticate with an HS256 JWT signed with the
/// secret, and checking that signature needs the secret itself, which a one-way hash cannot give back. So the
/// secret is never stored at all: it is HMAC-SHA256(pepper, key id), recomputed when needed. The database keeps only
/// HMAC-SHA256(pepper, secret), which a raw key is compared against in constant time and which also detects a
/// server started with the wrong pepper. A copy of the database alone yields no usable key. A slow hash would add
/// nothing here: secrets are 256-bit random-equivalent values, not guessable passwords, and a per-request
/// 100 ms hash would make authentication itself a denial-of-service target.
/// Thread-safe.
/// </remarks>
public sealed class KeySecrets
{
    private readonly byte[] _pepper;

    /// <param name="pepper">At least 32 bytes; changing it invalidates every issued key.</param>
    public KeySecrets(byte[] pepper)
    {
        if (pepper.Length < 32)
            throw new ArgumentException($"The key pepper must be at least 32 bytes; got {pepper.Length}.", nameof(pepper));
        _pepper = (byte[])pepper.Clone();
    }

    /// <summary>The secret of a key id: 43 URL-safe Base64 characters (256 bits), never containing '.'.</summary>
    public string SecretOf(string keyId) => Base64Url(Mac("secret:" + keyId));

    /// <summary>What the database stores for a secret (64 lowercase hex characters).</summary>
    public string HashOf(string secret) => Convert.ToHexStringLower(Mac("verify:" + secret));

    /// <summary>True when <paramref name="secret"/> hashes to <paramref name="storedHash"/>; constant time.</summary>
    public bool Matches(string secret, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(HashOf(secret)), Encoding.ASCII.GetBytes(storedHash));

    /// <summary>A new random key id: 32 lowercase hex characters, like Zhipu's.</summary>
    public static string NewKeyId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private byte[] Mac(string message) => HMACSHA256.HashData(_pepper, Encoding.UTF8.GetBytes(message));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

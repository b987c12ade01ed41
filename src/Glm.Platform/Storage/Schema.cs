namespace Glm.Platform;

/// <summary>
/// The schema both stores share, as plain SQL that SQLite and PostgreSQL read the same way. Money is stored as
/// whole nano-units (1e-9 of the currency) in BIGINT, times as Unix milliseconds (UTC). A migration is never edited
/// once released; a change is a new entry.
/// </summary>
internal static class Schema
{
    public static readonly string[][] Migrations =
    [
        [
            """
            CREATE TABLE tenants (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, balance_nano BIGINT NOT NULL, created_ms BIGINT NOT NULL)
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id), name TEXT NOT NULL,
                secret_hash TEXT NOT NULL, rpm BIGINT NOT NULL, tpm BIGINT NOT NULL, max_concurrency BIGINT NOT NULL,
                created_ms BIGINT NOT NULL, revoked_ms BIGINT NULL)
            """,
            "CREATE INDEX api_keys_tenant ON api_keys (tenant_id)",
            """
            CREATE TABLE prices (
                model TEXT NOT NULL, effective_ms BIGINT NOT NULL, input_nano BIGINT NOT NULL,
                output_nano BIGINT NOT NULL, PRIMARY KEY (model, effective_ms))
            """,
            """
            CREATE TABLE usage (
                request_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (id), key_id TEXT NOT NULL,
                model TEXT NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
                cached_tokens BIGINT NOT NULL, cost_nano BIGINT NOT NULL, latency_ms BIGINT NOT NULL,
                finish_reason TEXT NOT NULL, at_ms BIGINT NOT NULL)
            """,
            "CREATE INDEX usage_tenant_at ON usage (tenant_id, at_ms)",
        ],
        [
            // A request id is unique per tenant, not across tenants: one tenant's ids never collide with another's.
            """
            CREATE TABLE usage_v2 (
                request_id TEXT NOT NULL, tenant_id TEXT NOT NULL REFERENCES tenants (id), key_id TEXT NOT NULL,
                model TEXT NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
                cached_tokens BIGINT NOT NULL, cost_nano BIGINT NOT NULL, latency_ms BIGINT NOT NULL,
                finish_reason TEXT NOT NULL, at_ms BIGINT NOT NULL, PRIMARY KEY (tenant_id, request_id))
            """,
            """
            INSERT INTO usage_v2 (request_id, tenant_id, key_id, model, prompt_tokens, completion_tokens, cached_tokens,
                cost_nano, latency_ms, finish_reason, at_ms)
            SELECT request_id, tenant_id, key_id, model, prompt_tokens, completion_tokens, cached_tokens, cost_nano,
                latency_ms, finish_reason, at_ms FROM usage
            """,
            "DROP TABLE usage",
            "ALTER TABLE usage_v2 RENAME TO usage",
            "CREATE INDEX usage_tenant_at ON usage (tenant_id, at_ms)",
        ],
    ];

    public static long ToNano(decimal amount) => (long)decimal.Round(amount * 1_000_000_000m);

    public static decimal FromNano(long nano) => nano / 1_000_000_000m;

    public static long ToMs(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}

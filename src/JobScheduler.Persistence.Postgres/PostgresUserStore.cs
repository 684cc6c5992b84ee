using JobScheduler.Core.Auth;
using Npgsql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Users (<c>js_users</c>), API keys (<c>js_api_keys</c>) and the token signing key (<c>js_auth_settings</c>) in
/// PostgreSQL, shared by every silo and API process. Writes are rare (a user or key created, revoked, a minute's
/// last-used times), so they go straight to the data source rather than through the grain-state batcher.
/// </summary>
public sealed class PostgresUserStore(NpgsqlDataSource dataSource) : IUserStore
{
    private const string UserColumns = "username, role, password_hash, security_stamp, created_at";
    private const string KeyColumns = "id, owner, name, secret_hash, created_at, last_used_at, revoked_at";

    public async Task<UserRecord?> FindUserAsync(string username, CancellationToken cancellationToken = default)
    {
        await using var command = Command($"SELECT {UserColumns} FROM js_users WHERE username = $1", username);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadUser(reader) : null;
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var command = Command($"SELECT {UserColumns} FROM js_users ORDER BY username COLLATE \"C\"");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<UserRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(ReadUser(reader));
        }
        return users;
    }

    public async Task<bool> AnyUserAsync(CancellationToken cancellationToken = default)
    {
        await using var command = Command("SELECT EXISTS (SELECT 1 FROM js_users)");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<bool> AddUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        await using var command = Command(
            $"INSERT INTO js_users ({UserColumns}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING",
            user.Username, UserRoles.Name(user.Role), user.PasswordHash, user.SecurityStamp, user.CreatedAt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<bool> DeleteUserAsync(string username, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var delete = new NpgsqlCommand("DELETE FROM js_users WHERE username = $1", connection, transaction) { Parameters = { new() { Value = username } } };
        if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }
        await using var revoke = new NpgsqlCommand("UPDATE js_api_keys SET revoked_at = $2 WHERE owner = $1 AND revoked_at IS NULL", connection, transaction)
        {
            Parameters = { new() { Value = username }, new() { Value = at } },
        };
        await revoke.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default)
    {
        await using var command = Command(
            $"INSERT INTO js_api_keys ({KeyColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            key.Id, key.Owner, key.Name, key.SecretHash, key.CreatedAt, key.LastUsedAt, key.RevokedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ApiKeyRecord?> FindApiKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var command = Command($"SELECT {KeyColumns} FROM js_api_keys WHERE id = $1", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadKey(reader) : null;
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string owner, CancellationToken cancellationToken = default)
    {
        await using var command = Command($"SELECT {KeyColumns} FROM js_api_keys WHERE owner = $1 ORDER BY created_at, id", owner);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(ReadKey(reader));
        }
        return keys;
    }

    public async Task<bool> RevokeApiKeyAsync(string id, string owner, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var command = Command("UPDATE js_api_keys SET revoked_at = $3 WHERE id = $1 AND owner = $2 AND revoked_at IS NULL", id, owner, at);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task TouchApiKeysAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken = default)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }
        // One statement for the whole minute's keys.
        await using var command = Command(
            """
            UPDATE js_api_keys k SET last_used_at = u.at
            FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
            WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)
            """,
            lastUsed.Keys.ToArray(), lastUsed.Values.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<string> GetOrAddSigningKeyAsync(string candidate, CancellationToken cancellationToken = default)
    {
        await using var insert = Command("INSERT INTO js_auth_settings (name, value) VALUES ('jwt_signing_key', $1) ON CONFLICT (name) DO NOTHING", candidate);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        await using var read = Command("SELECT value FROM js_auth_settings WHERE name = 'jwt_signing_key'");
        return (string)(await read.ExecuteScalarAsync(cancellationToken))!;
    }

    private NpgsqlCommand Command(string sql, params object?[] values)
    {
        var command = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }
        return command;
    }

    private static UserRecord ReadUser(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        UserRoles.Parse(reader.GetString(1)),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetFieldValue<DateTimeOffset>(4));

    private static ApiKeyRecord ReadKey(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetFieldValue<byte[]>(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
}

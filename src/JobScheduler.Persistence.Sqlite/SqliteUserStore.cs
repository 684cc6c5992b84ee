using JobScheduler.Core.Auth;
using Microsoft.Data.Sqlite;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Users (<c>users</c>), API keys (<c>api_keys</c>) and the token signing key (<c>auth_settings</c>) in the SQLite file,
/// beside the jobs they own. Writes go through the file's single writer, as every other write does.
/// </summary>
public sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    private const string UserColumns = "username, role, password_hash, security_stamp, created_at";
    private const string KeyColumns = "id, owner, name, secret_hash, created_at, last_used_at, revoked_at";

    public Task<UserRecord?> FindUserAsync(string username, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection => ReadAll(Command(connection, $"SELECT {UserColumns} FROM users WHERE username = $1", username), ReadUser).FirstOrDefault());

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection => ReadAll(Command(connection, $"SELECT {UserColumns} FROM users ORDER BY username"), ReadUser));

    public Task<bool> AnyUserAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection =>
        {
            using var command = Command(connection, "SELECT EXISTS (SELECT 1 FROM users)");
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        });

    public async Task<bool> AddUserAsync(UserRecord user, CancellationToken cancellationToken = default) =>
        await database.Writer.ExecuteAsync(
            $"INSERT INTO users ({UserColumns}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING",
            user.Username, UserRoles.Name(user.Role), user.PasswordHash, user.SecurityStamp, Ticks(user.CreatedAt)) == 1;

    public Task<bool> DeleteUserAsync(string username, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        database.Writer.WriteAsync(connection =>
        {
            if (Execute(connection, "DELETE FROM users WHERE username = $1", username) == 0)
            {
                return false;
            }
            Execute(connection, "UPDATE api_keys SET revoked_at = $2 WHERE owner = $1 AND revoked_at IS NULL", username, Ticks(at));
            return true;
        });

    public Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default) =>
        database.Writer.ExecuteAsync(
            $"INSERT INTO api_keys ({KeyColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            key.Id, key.Owner, key.Name, key.SecretHash, Ticks(key.CreatedAt), Ticks(key.LastUsedAt), Ticks(key.RevokedAt));

    public Task<ApiKeyRecord?> FindApiKeyAsync(string id, CancellationToken cancellationToken = default) =>
        database.ReadAsync(connection => ReadAll(Command(connection, $"SELECT {KeyColumns} FROM api_keys WHERE id = $1", id), ReadKey).FirstOrDefault());

    public async Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string owner, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection => ReadAll(Command(connection, $"SELECT {KeyColumns} FROM api_keys WHERE owner = $1 ORDER BY created_at, id", owner), ReadKey));

    public async Task<bool> RevokeApiKeyAsync(string id, string owner, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        await database.Writer.ExecuteAsync("UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND owner = $2 AND revoked_at IS NULL", id, owner, Ticks(at)) == 1;

    public Task TouchApiKeysAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken = default) =>
        lastUsed.Count == 0
            ? Task.CompletedTask
            : database.Writer.WriteAsync(connection =>
            {
                foreach (var (id, at) in lastUsed)
                {
                    Execute(connection, "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)", id, Ticks(at));
                }
                return 0;
            });

    public async Task<string> GetOrAddSigningKeyAsync(string candidate, CancellationToken cancellationToken = default) =>
        await database.Writer.WriteAsync(connection =>
        {
            Execute(connection, "INSERT INTO auth_settings (name, value) VALUES ('jwt_signing_key', $1) ON CONFLICT (name) DO NOTHING", candidate);
            using var command = Command(connection, "SELECT value FROM auth_settings WHERE name = 'jwt_signing_key'");
            return (string)command.ExecuteScalar()!;
        });

    private static List<T> ReadAll<T>(SqliteCommand command, Func<SqliteDataReader, T> read)
    {
        using (command)
        {
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(read(reader));
            }
            return rows;
        }
    }

    private static UserRecord ReadUser(SqliteDataReader reader) => new(
        reader.GetString(0),
        UserRoles.Parse(reader.GetString(1)),
        reader.GetString(2),
        reader.GetString(3),
        Instant(reader.GetInt64(4)));

    private static ApiKeyRecord ReadKey(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        (byte[])reader.GetValue(3),
        Instant(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : Instant(reader.GetInt64(5)),
        reader.IsDBNull(6) ? null : Instant(reader.GetInt64(6)));
}

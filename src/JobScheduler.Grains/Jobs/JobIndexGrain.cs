using System.Buffers.Text;
using System.Text;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// The in-memory job list behind <c>GET /api/jobs</c> for the embedded default: every job's current view, ordered
/// by id for keyset paging. Job grains upsert into it on every change. It is kept alive for the life of the silo
/// (its content is rebuilt by the job grains as they change); the PostgreSQL query model takes its place in
/// durable deployments.
/// </summary>
[GrainType("job-index"), KeepAlive]
public sealed class JobIndexGrain : Grain, IJobIndexGrain
{
    private readonly SortedDictionary<string, JobInfo> _jobs = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _ids = new(StringComparer.Ordinal);

    public Task UpsertAsync(JobInfo job)
    {
        _jobs[job.Id] = job;
        _ids.Add(job.Id);
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string jobId)
    {
        _jobs.Remove(jobId);
        _ids.Remove(jobId);
        return Task.CompletedTask;
    }

    public Task<Page<JobInfo>> QueryAsync(JobQuery query)
    {
        var limit = Math.Clamp(query.Limit, 1, 500);
        var after = DecodeCursor(query.Cursor);
        var (tagKey, tagValue) = ParseTag(query.Tag);
        IEnumerable<string> ids = after is null || _ids.Count == 0 ? _ids : _ids.GetViewBetween(after, _ids.Max!).Where(id => id != after);
        var items = new List<JobInfo>(limit);
        string? next = null;
        foreach (var id in ids)
        {
            var job = _jobs[id];
            if ((query.Owner is not null && job.Owner != query.Owner)
                || (query.State is not null && job.State != query.State)
                || (tagKey is not null && !HasTag(job, tagKey, tagValue)))
            {
                continue;
            }
            if (items.Count == limit)
            {
                next = EncodeCursor(items[^1].Id);
                break;
            }
            items.Add(job);
        }
        return Task.FromResult(new Page<JobInfo> { Items = [.. items], Next = next });
    }

    private static bool HasTag(JobInfo job, string key, string? value) =>
        job.Tags is not null && job.Tags.TryGetValue(key, out var actual) && (value is null || actual == value);

    private static (string? Key, string? Value) ParseTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return (null, null);
        }
        var colon = tag.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (tag, null) : (tag[..colon], tag[(colon + 1)..]);
    }

    private static string EncodeCursor(string id) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(id));

    private static string? DecodeCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw new ArgumentException("cursor is not a cursor this server returned.", nameof(cursor));
        }
    }
}

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>Orleans' reminder table in the SQLite file: upsert versions, ranges of the hash ring, fenced removal.</summary>
public sealed class SqliteReminderTableTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static ReminderEntry Entry(GrainId grain, int minutes = 1) => new()
    {
        GrainId = grain,
        ReminderName = "tick",
        StartAt = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(minutes),
    };

    [Fact]
    public async Task Upsert_ReturnsANewVersion_Remove_NeedsTheCurrentOne()
    {
        var table = new SqliteReminderTable("svc", _db.Database);
        var grain = GrainId.Create("job", "j1");
        var first = await table.UpsertRow(Entry(grain));
        var second = await table.UpsertRow(Entry(grain, minutes: 2));
        Assert.NotEqual(first, second);

        var row = await table.ReadRow(grain, "tick");
        Assert.NotNull(row);
        Assert.Equal((second, TimeSpan.FromMinutes(2), new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc)), (row.ETag, row.Period, row.StartAt));
        Assert.Single((await table.ReadRows(grain)).Reminders);

        Assert.False(await table.RemoveRow(grain, "tick", first!));
        Assert.True(await table.RemoveRow(grain, "tick", second!));
        Assert.Null(await table.ReadRow(grain, "tick"));
        // Another service's table is separate.
        await table.UpsertRow(Entry(grain));
        Assert.Empty((await new SqliteReminderTable("other", _db.Database).ReadRows(grain)).Reminders);
    }

    [Fact]
    public async Task RangeReads_CoverTheRing_WithWrapAround()
    {
        var table = new SqliteReminderTable("svc", _db.Database);
        var grains = Enumerable.Range(0, 40).Select(i => GrainId.Create("job", $"j{i}")).ToList();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain));
        }
        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToList();
        var split = hashes[15];

        var low = (await table.ReadRows(split, hashes[^1])).Reminders;
        var wrapped = (await table.ReadRows(hashes[^1], split)).Reminders;
        Assert.Equal(hashes.Count(h => h > split), low.Count);
        Assert.Equal(hashes.Count(h => h <= split), wrapped.Count);
        Assert.Equal(40, low.Concat(wrapped).Select(r => r.GrainId).Distinct().Count());
        Assert.Equal(40, (await table.ReadRows(7u, 7u)).Reminders.Count);
    }
}

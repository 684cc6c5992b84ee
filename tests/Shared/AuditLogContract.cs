using JobScheduler.Core.Audit;

namespace JobScheduler.Testing;

/// <summary>
/// What every <see cref="IAuditLog"/> must do, run against each store (memory, SQLite, PostgreSQL) by a subclass that
/// gives it a fresh, empty store.
/// </summary>
public abstract class AuditLogContract
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    protected abstract IAuditLog Log { get; }

    private static AuditEntry Entry(string id, int second, string actor = "olga", string action = "job.create", string resource = "nightly", int status = 201) =>
        new(id, T0.AddSeconds(second), actor, action, resource, status);

    [Fact]
    public async Task Entries_RoundTrip_NewestFirst_TiesBrokenByIdDescending()
    {
        await Log.AppendAsync(Entry("a1", 1));
        await Log.AppendAsync(Entry("a3", 3, action: "job.delete", status: 204));
        await Log.AppendAsync(Entry("a2b", 2));
        await Log.AppendAsync(Entry("a2a", 2));

        var page = await Log.QueryAsync(new AuditQuery());

        Assert.Equal(["a3", "a2b", "a2a", "a1"], page.Items.Select(e => e.Id));
        Assert.Equal(Entry("a3", 3, action: "job.delete", status: 204), page.Items[0]);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ManyEntriesAppendedTogether_AreAllThere_InTheSameOrder_AsOneByOne()
    {
        await Log.AppendManyAsync([Entry("m1", 1), Entry("m3", 3, action: "job.delete", status: 204), Entry("m2", 2, resource: "hourly")]);

        var page = await Log.QueryAsync(new AuditQuery());

        Assert.Equal(["m3", "m2", "m1"], page.Items.Select(e => e.Id));
        Assert.Equal(("job.delete", 204), (page.Items[0].Action, page.Items[0].Status));
        Assert.Equal("hourly", page.Items[1].Resource);
        Assert.Equal(Entry("m1", 1).At, page.Items[2].At);
    }

    [Fact]
    public async Task Query_FiltersByActorAndResource_Exactly()
    {
        await Log.AppendAsync(Entry("f1", 1, actor: "olga", resource: "nightly"));
        await Log.AppendAsync(Entry("f2", 2, actor: "Olga", resource: "nightly"));
        await Log.AppendAsync(Entry("f3", 3, actor: "olga", resource: "hourly"));

        Assert.Equal(["f3", "f1"], (await Log.QueryAsync(new AuditQuery { Actor = "olga" })).Items.Select(e => e.Id));
        Assert.Equal(["f2", "f1"], (await Log.QueryAsync(new AuditQuery { Resource = "nightly" })).Items.Select(e => e.Id));
        Assert.Equal(["f1"], (await Log.QueryAsync(new AuditQuery { Actor = "olga", Resource = "nightly" })).Items.Select(e => e.Id));
        Assert.Empty((await Log.QueryAsync(new AuditQuery { Actor = "nobody" })).Items);
    }

    [Fact]
    public async Task Pages_FollowOneAnother_WithoutGapsOrRepeats_UntilTheLastHasNoNext()
    {
        for (var i = 0; i < 7; i++)
        {
            // Two entries share each instant but the last, so a page may end between them.
            await Log.AppendAsync(Entry($"p{i}", i / 2));
        }
        var seen = new List<string>();
        AuditPosition? after = null;
        var pages = 0;
        do
        {
            var page = await Log.QueryAsync(new AuditQuery { Limit = 3, After = after });
            Assert.InRange(page.Items.Count, 1, 3);
            seen.AddRange(page.Items.Select(e => e.Id));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(3, pages);
        Assert.Equal(["p6", "p5", "p4", "p3", "p2", "p1", "p0"], seen);
    }

    [Fact]
    public async Task Limit_IsClampedToOneThroughFiveHundred()
    {
        for (var i = 0; i < 3; i++)
        {
            await Log.AppendAsync(Entry($"c{i}", i));
        }

        var none = await Log.QueryAsync(new AuditQuery { Limit = 0 });
        var huge = await Log.QueryAsync(new AuditQuery { Limit = int.MaxValue });

        Assert.Equal(["c2"], none.Items.Select(e => e.Id));
        Assert.NotNull(none.Next);
        Assert.Equal(3, huge.Items.Count);
        Assert.Null(huge.Next);
    }
}

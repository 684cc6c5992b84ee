using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using JobScheduler.Core.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobScheduler.Api.Tests;

/// <summary>The audit filter on its own: what it records, and that a failed audit write never fails the caller's request.</summary>
public sealed class AuditFilterTests
{
    private sealed class FailingAuditLog : IAuditLog
    {
        public int Attempts { get; private set; }

        public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
        {
            Attempts++;
            throw new InvalidOperationException("the database is gone");
        }

        public Task AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
        {
            Attempts++;
            throw new InvalidOperationException("the database is gone");
        }

        public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class ListAuditLog : IAuditLog
    {
        public List<AuditEntry> Entries { get; } = [];

        public Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
        {
            Entries.Add(entry);
            return Task.CompletedTask;
        }

        public Task AppendManyAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
        {
            Entries.AddRange(entries);
            return Task.CompletedTask;
        }

        public Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private static DefaultHttpContext Request(IAuditLog log, string? id = "nightly")
    {
        var services = new ServiceCollection()
            .AddSingleton(log)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .BuildServiceProvider();
        var http = new DefaultHttpContext
        {
            RequestServices = services,
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(AuthClaims.Name, "olga"), new Claim(AuthClaims.Role, "operator")], "test")),
        };
        if (id is not null)
        {
            http.Request.RouteValues["id"] = id;
        }
        return http;
    }

    [Fact]
    public async Task AFailedAuditWrite_IsLogged_AndTheAnswerStillGoesOut()
    {
        var log = new FailingAuditLog();
        var answer = TypedResults.NoContent();

        var result = await new AuditFilter("job.delete", null, null).InvokeAsync(
            EndpointFilterInvocationContext.Create(Request(log)), _ => ValueTask.FromResult<object?>(answer));

        Assert.Same(answer, result);
        Assert.Equal(1, log.Attempts);
    }

    [Fact]
    public async Task ASuccess_IsRecordedWithTheCallerAndTheRouteId_AndARefusalIsNot()
    {
        var log = new ListAuditLog();
        var filter = new AuditFilter("job.pause", null, null);

        await filter.InvokeAsync(EndpointFilterInvocationContext.Create(Request(log)), _ => ValueTask.FromResult<object?>(TypedResults.Ok()));
        await filter.InvokeAsync(EndpointFilterInvocationContext.Create(Request(log)), _ => ValueTask.FromResult<object?>(TypedResults.NotFound()));

        var entry = Assert.Single(log.Entries);
        Assert.Equal(("olga", "job.pause", "nightly", 200), (entry.Actor, entry.Action, entry.Resource, entry.Status));
    }
}

namespace JobScheduler.Core.Audit;

/// <summary>Filters and keyset paging for <see cref="IAuditLog.QueryAsync"/>.</summary>
public sealed record AuditQuery
{
    public const int MaxLimit = 500;

    /// <summary>Only this actor's entries (exact match), when given.</summary>
    public string? Actor { get; init; }

    /// <summary>Only entries about this resource id (exact match), when given.</summary>
    public string? Resource { get; init; }

    public int Limit { get; init; } = 50;

    /// <summary>Only entries older than this position (the <see cref="AuditPage.Next"/> of the previous page).</summary>
    public AuditPosition? After { get; init; }

    /// <summary><see cref="Limit"/> within 1–<see cref="MaxLimit"/>.</summary>
    public int ClampedLimit => Math.Clamp(Limit, 1, MaxLimit);
}

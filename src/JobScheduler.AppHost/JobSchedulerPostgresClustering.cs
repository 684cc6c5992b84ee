using Aspire.Hosting.Orleans;

namespace JobScheduler.AppHost;

/// <summary>
/// The cluster's membership as Aspire.Hosting.Orleans hands it to a process: JobScheduler's own PostgreSQL store
/// (membership, grain state and reminders in one schema the server creates), chosen with <c>JobScheduler:Storage</c>
/// and found through <c>ConnectionStrings:postgres</c>. It deliberately sets no <c>Orleans:Clustering:ProviderType</c>:
/// the server wires its clustering itself, and Orleans would otherwise look for a provider of that name.
/// </summary>
internal sealed class JobSchedulerPostgresClustering(IResourceBuilder<IResourceWithConnectionString> postgres) : IProviderConfiguration
{
    public void ConfigureResource<T>(IResourceBuilder<T> resourceBuilder, string configurationSectionName)
        where T : IResourceWithEnvironment =>
        resourceBuilder
            .WithEnvironment("JobScheduler__Storage", "Postgres")
            .WithReference(postgres);
}

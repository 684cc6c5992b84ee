namespace JobScheduler.AppHost;

internal static class OrleansPortsExtensions
{
    /// <summary>
    /// Hands a silo the silo-to-silo and gateway ports Aspire.Hosting.Orleans allocated for it (its <c>orleans-silo</c>
    /// and <c>orleans-gateway</c> endpoints) under the keys the server reads, <c>Orleans:SiloPort</c> and
    /// <c>Orleans:GatewayPort</c>, so every silo on this machine gets ports of its own. The processes listen on the target
    /// ports and advertise them; nothing connects through Aspire's proxy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithOrleansPorts(this IResourceBuilder<ProjectResource> silo) =>
        silo
            .WithEnvironment("Orleans__SiloPort", silo.GetEndpoint("orleans-silo").Property(EndpointProperty.TargetPort))
            .WithEnvironment("Orleans__GatewayPort", silo.GetEndpoint("orleans-gateway").Property(EndpointProperty.TargetPort));
}

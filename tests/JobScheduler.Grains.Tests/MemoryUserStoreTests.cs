using JobScheduler.Core.Auth;
using JobScheduler.Grains.Storage;
using JobScheduler.Testing;

namespace JobScheduler.Grains.Tests;

/// <summary>Users, API keys and the signing key of an in-memory silo (<see cref="MemoryUserStore"/>).</summary>
public sealed class MemoryUserStoreTests : UserStoreContract
{
    private readonly MemoryUserStore _store = new();

    protected override IUserStore Store => _store;
}

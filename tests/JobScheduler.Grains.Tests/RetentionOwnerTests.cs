using System.Net;
using JobScheduler.Grains.Hosting;

namespace JobScheduler.Grains.Tests;

/// <summary>Retention by age has one owner in a cluster: the oldest active silo, as every silo computes it alike.</summary>
public sealed class RetentionOwnerTests
{
    private static SiloAddress Silo(int port, int generation) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    [Fact]
    public void Owner_IsTheOldestActiveSilo_WhateverTheOrderMembersAreListedIn()
    {
        var oldest = Silo(11113, 100);
        ClusterMember[] members =
        [
            new(Silo(11111, 300), SiloStatus.Active, "c"),
            new(oldest, SiloStatus.Active, "a"),
            new(Silo(11112, 50), SiloStatus.Dead, "dead and older"),
            new(Silo(11114, 200), SiloStatus.ShuttingDown, "leaving"),
        ];

        Assert.Equal(oldest, OldestActiveSilo.Of(members));
        Assert.Equal(oldest, OldestActiveSilo.Of(members.Reverse()));
    }

    [Fact]
    public void Owner_WhenTheOldestDies_IsTheNextOldest()
    {
        var next = Silo(11111, 300);
        ClusterMember[] members = [new(next, SiloStatus.Active, "b"), new(Silo(11113, 100), SiloStatus.Dead, "a")];

        Assert.Equal(next, OldestActiveSilo.Of(members));
        Assert.Null(OldestActiveSilo.Of([]));
    }
}

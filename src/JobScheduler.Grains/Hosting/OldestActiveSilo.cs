namespace JobScheduler.Grains.Hosting;

/// <summary>
/// The cluster's senior silo: the oldest active one (lowest generation, then address). Every silo computes the same
/// answer from the same membership, so a duty given to it (retention by age, the rescan after a silo's loss) is done by
/// exactly one silo; when that silo dies, the next oldest takes the duty over.
/// </summary>
internal static class OldestActiveSilo
{
    /// <summary>The oldest active silo among <paramref name="members"/>, or null when none is active.</summary>
    public static SiloAddress? Of(IEnumerable<ClusterMember> members) => members
        .Where(m => m.Status == SiloStatus.Active)
        .Select(m => m.SiloAddress)
        .OrderBy(a => a.Generation)
        .ThenBy(a => a.ToParsableString(), StringComparer.Ordinal)
        .FirstOrDefault();

    /// <summary>Whether <paramref name="silo"/> is the oldest active silo of <paramref name="snapshot"/>.</summary>
    public static bool Is(SiloAddress silo, ClusterMembershipSnapshot snapshot) =>
        Of(snapshot.Members.Values) is { } oldest && oldest.Equals(silo);
}

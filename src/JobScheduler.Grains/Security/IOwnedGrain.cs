namespace JobScheduler.Grains.Security;

/// <summary>
/// A grain whose resource belongs to a user: <see cref="ClientCallGuard"/> reads the owner inside the call's own turn,
/// so the check and the change it guards cannot be separated by another call.
/// </summary>
internal interface IOwnedGrain
{
    /// <summary>The resource's owner; null while it does not exist (or is deleted).</summary>
    string? Owner { get; }
}

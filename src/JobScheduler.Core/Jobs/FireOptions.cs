namespace JobScheduler.Core.Jobs;

/// <summary>The server's settings a fire decision depends on.</summary>
/// <param name="MisfireThreshold">How late a fire time may be and still count as on time.</param>
/// <param name="MaxCatchUpFires">The most missed fire times a <c>fireAll</c> job replays in one wake-up.</param>
public sealed record FireOptions(TimeSpan MisfireThreshold, int MaxCatchUpFires);

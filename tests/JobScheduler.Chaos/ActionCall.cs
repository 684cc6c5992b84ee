namespace JobScheduler.Chaos;

/// <summary>One call an http action made to the run's listener, as the listener saw it.</summary>
/// <param name="ExecutionId">The <c>X-JobScheduler-Execution</c> header the scheduler sends.</param>
/// <param name="Path">What the action asked for: <c>/ok</c>, <c>/fail-first</c> or <c>/sleep</c>.</param>
/// <param name="Status">The status the listener answered; 0 when the caller had gone before the answer was written.</param>
public sealed record ActionCall(string ExecutionId, string Path, DateTimeOffset ReceivedAt, DateTimeOffset AnsweredAt, int Status);

using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Executions;

public sealed partial class ExecutionGrain
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId} stopped unexpectedly")]
    private partial void LogRunFailed(Exception exception, string executionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Execution {ExecutionId} attempt {Attempt} ended {Outcome}")]
    private partial void LogAttemptFinished(string executionId, int attempt, AttemptOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} was written by another activation; this one steps aside")]
    private partial void LogSupersededActivation(Exception exception, string executionId);
}

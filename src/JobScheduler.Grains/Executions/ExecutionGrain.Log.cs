using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Executions;

public sealed partial class ExecutionGrain
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId} stopped unexpectedly")]
    private partial void LogRunFailed(Exception exception, string executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} stopped while a silo failed over ({Failure}); the maintenance sweep resumes it")]
    private partial void LogRunInterruptedByFailover(string executionId, string failure);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Execution {ExecutionId} attempt {Attempt} ended {Outcome}")]
    private partial void LogAttemptFinished(string executionId, int attempt, AttemptOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} was written by another activation; this one steps aside")]
    private partial void LogSupersededActivation(Exception exception, string executionId);
}

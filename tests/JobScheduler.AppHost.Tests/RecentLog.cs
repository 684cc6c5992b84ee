using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// The app host's last log lines (its own and, as the testing builder forwards them, every resource's), kept so that a
/// start that fails can say in its exception what the orchestrator and the processes were doing: CI shows a failed
/// test's message, not the console.
/// </summary>
public sealed class RecentLog(int capacity) : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>The kept lines, oldest first.</summary>
    public string Tail() => string.Join(Environment.NewLine, _lines);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > capacity && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(RecentLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                var error = exception is null ? "" : $" {exception.GetType().Name}: {exception.Message}";
                log.Add($"{logLevel} {category}: {formatter(state, exception)}{error}");
            }
        }
    }
}

using System.Text.Json;

namespace JobScheduler;

/// <summary>
/// A named piece of .NET code a <c>handler</c> action runs. Register it on the silo with
/// <c>siloBuilder.AddJobHandler&lt;T&gt;("name")</c>. Returning normally is success; an exception fails the attempt
/// (and is retried per the job's policy). Honour the cancellation token: it fires on timeout and cancel.
/// </summary>
public interface IJobHandler
{
    Task ExecuteAsync(JobContext context, CancellationToken cancellationToken);
}

/// <summary>What a handler is given for one attempt.</summary>
public sealed class JobContext
{
    public JobContext(string jobId, string executionId, int attempt, DateTimeOffset scheduledAt, string? payload, TextWriter output)
    {
        JobId = jobId;
        ExecutionId = executionId;
        Attempt = attempt;
        ScheduledAt = scheduledAt;
        Payload = payload;
        Output = output;
    }

    public string JobId { get; }
    public string ExecutionId { get; }

    /// <summary>1 for the first attempt.</summary>
    public int Attempt { get; }
    public DateTimeOffset ScheduledAt { get; }

    /// <summary>The action's payload as JSON text, or null.</summary>
    public string? Payload { get; }

    /// <summary>Text written here is kept (its tail) as the attempt's output.</summary>
    public TextWriter Output { get; }

    /// <summary>For a DAG step: the outputs of its direct upstream steps that succeeded, by step id. Empty otherwise.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Upstream { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>For a DAG step: the run's parameters. Empty otherwise.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>What the attempt publishes for its dependants (a DAG step's outputs); see <see cref="SetOutput"/>.</summary>
    public IReadOnlyDictionary<string, string> Outputs => _outputs;

    private readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);

    /// <summary>
    /// Publishes a small named value (a file name, a row count) to the steps that depend on this one; the last value
    /// set for a name wins. Names are letters, digits and '_' (not starting with a digit); all values together are a
    /// few KiB at most (the server refuses more, failing the attempt).
    /// </summary>
    public void SetOutput(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        _outputs[name] = value;
    }

    /// <summary>The payload deserialized with JobScheduler's JSON conventions (camelCase), or default when there is none.</summary>
    public T? GetPayload<T>() => Payload is null ? default : JsonSerializer.Deserialize<T>(Payload, PayloadOptions);

    private static readonly JsonSerializerOptions PayloadOptions = new(JsonSerializerDefaults.Web);
}

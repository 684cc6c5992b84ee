using System.Text;
using JobScheduler.Core;
using JobScheduler.Core.Dags;
using Microsoft.Extensions.DependencyInjection;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Runs a <c>handler</c> action: resolves the named <see cref="IJobHandler"/> in a fresh DI scope and calls it. A DAG
/// step's handler sees its inputs on the context, and what it sets with <see cref="JobContext.SetOutput"/> is published.
/// </summary>
public sealed class HandlerActionRunner(IServiceScopeFactory scopes)
{
    public async Task<ActionResult> RunAsync(AttemptRequest request, OutputTail output, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetKeyedService<IJobHandler>(request.Action.Handler);
        if (handler is null)
        {
            return new ActionResult(AttemptOutcome.Failed, Error: $"no handler named '{request.Action.Handler}' is registered on this node.");
        }
        await using var writer = new TailWriter(output);
        var inputs = request.DagInputs;
        var context = inputs is null
            ? new JobContext(request.JobId, request.ExecutionId, request.Attempt, request.ScheduledAt, request.Action.Payload, writer)
            : new JobContext(request.JobId, request.ExecutionId, request.Attempt, request.ScheduledAt, request.Action.Payload, writer)
            {
                // Copies: the request may be shared with a retry, and a handler must not change what the next attempt sees.
                Upstream = inputs.Upstream.ToDictionary(
                    u => u.Key, IReadOnlyDictionary<string, string> (u) => new Dictionary<string, string>(u.Value, StringComparer.Ordinal), StringComparer.Ordinal),
                Parameters = new Dictionary<string, string>(inputs.Parameters, StringComparer.Ordinal),
            };
        await handler.ExecuteAsync(context, cancellationToken);
        if (inputs is null)
        {
            return new ActionResult(AttemptOutcome.Succeeded);
        }
        return StepOutputs.Validate(context.Outputs) is { } error
            ? new ActionResult(AttemptOutcome.Failed, Error: $"outputs: {error}")
            : new ActionResult(AttemptOutcome.Succeeded, Outputs: new Dictionary<string, string>(context.Outputs, StringComparer.Ordinal));
    }

    private sealed class TailWriter(OutputTail tail) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => tail.Append(value.ToString());

        public override void Write(string? value) => tail.Append(value);

        public override void Write(char[] buffer, int index, int count) => tail.Append(new string(buffer, index, count));
    }
}

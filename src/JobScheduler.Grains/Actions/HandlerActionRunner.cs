using System.Text;
using JobScheduler.Core;
using Microsoft.Extensions.DependencyInjection;

namespace JobScheduler.Grains.Actions;

/// <summary>Runs a <c>handler</c> action: resolves the named <see cref="IJobHandler"/> in a fresh DI scope and calls it.</summary>
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
        var context = new JobContext(request.JobId, request.ExecutionId, request.Attempt, request.ScheduledAt, request.Action.Payload, writer);
        await handler.ExecuteAsync(context, cancellationToken);
        return new ActionResult(AttemptOutcome.Succeeded);
    }

    private sealed class TailWriter(OutputTail tail) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => tail.Append(value.ToString());

        public override void Write(string? value) => tail.Append(value);

        public override void Write(char[] buffer, int index, int count) => tail.Append(new string(buffer, index, count));
    }
}

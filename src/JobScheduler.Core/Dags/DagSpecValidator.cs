using System.Text;
using System.Text.RegularExpressions;

namespace JobScheduler.Core.Dags;

/// <summary>
/// Checks a DAG definition field by field (every error names its camelCase JSON path), then its dependencies for a
/// cycle. A step's action, policies and resources follow a job's rules (<see cref="JobSpecValidator"/>).
/// </summary>
public static partial class DagSpecValidator
{
    /// <summary>The most steps a DAG may have unless <c>JobScheduler:MaxDagSteps</c> says otherwise.</summary>
    public const int DefaultMaxSteps = 1000;

    public const int MaxStepIdLength = 64;

    public const int MaxParameters = 64;

    /// <summary>The most bytes (UTF-8, names and values) a run's parameters may have in all.</summary>
    public const int MaxParameterBytes = 64 * 1024;

    public static readonly TimeSpan MaxWaitWithin = TimeSpan.FromDays(366);

    public static readonly TimeSpan MaxWaitTimeout = TimeSpan.FromDays(30);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]*\z")]
    private static partial Regex StepIdPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex ParameterNamePattern();

    /// <summary>Checks a DAG's id: the rules of a job id.</summary>
    public static IReadOnlyList<FieldError> ValidateId(string? id)
    {
        var errors = new List<FieldError>();
        JobSpecValidator.ValidateId(id, "id", "DAG", errors);
        return errors;
    }

    /// <summary>
    /// Validates a whole definition; <paramref name="now"/> anchors the schedule for the "never fires" check and
    /// <paramref name="maxSteps"/> is the server's <c>JobScheduler:MaxDagSteps</c>. Dependencies are checked for a
    /// cycle only when every step id and every reference is valid.
    /// </summary>
    public static IReadOnlyList<FieldError> Validate(DagSpec spec, ActionRules rules, DateTimeOffset now, int maxSteps)
    {
        var errors = new List<FieldError>();
        InputLimits.CheckText(spec.Name, InputLimits.MaxNameLength, "name", errors);
        if (spec.Schedule is not null)
        {
            if (FireSchedule.CheckLimits(spec.Schedule, "schedule", errors))
            {
                FireSchedule.TryCreate(spec.Schedule, now, "schedule", errors);
            }
        }
        if (!Enum.IsDefined(spec.Concurrency))
        {
            errors.Add(new("concurrency", "must be allow, forbid or replace."));
        }
        if (!Enum.IsDefined(spec.Misfire))
        {
            errors.Add(new("misfire", "must be fireOnce, skip or fireAll."));
        }
        JobSpecValidator.ValidateTags(spec.Tags, errors);

        if (spec.Steps is not { Length: > 0 } steps)
        {
            errors.Add(new("steps", "is required: at least one step."));
            return errors;
        }
        if (steps.Length > maxSteps)
        {
            // Nothing more is read of a definition this large.
            errors.Add(new("steps", $"has {steps.Length} steps; a DAG has at most {maxSteps} steps (JobScheduler:MaxDagSteps)."));
            return errors;
        }

        var index = IndexSteps(steps, errors);
        var referencesValid = index is not null;
        for (var i = 0; i < steps.Length; i++)
        {
            if (steps[i] is { } step)
            {
                ValidateStep(step, $"steps[{i}].", rules, errors);
                referencesValid &= ValidateDependencies(step, $"steps[{i}].dependsOn", index, errors);
            }
        }
        if (referencesValid && FindCycle(steps, index!) is { } cycle)
        {
            errors.Add(new("steps", $"cycle: {string.Join(" → ", cycle)} (each step runs after the one before it)."));
        }
        return errors;
    }

    /// <summary>Validates the parameters of a manual run.</summary>
    public static IReadOnlyList<FieldError> Validate(DagTriggerOptions options)
    {
        var errors = new List<FieldError>();
        if (options.Parameters is not { } parameters)
        {
            return errors;
        }
        if (parameters.Count > MaxParameters)
        {
            errors.Add(new("parameters", $"has {parameters.Count} entries; at most {MaxParameters} are accepted."));
        }
        var bytes = 0L;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var field = $"parameters.{JobSpecValidator.Shorten(name)}";
            if (!ParameterNamePattern().IsMatch(name))
            {
                errors.Add(new(field, "a parameter name is letters, digits and '_', not starting with a digit."));
                continue;
            }
            if (value is null)
            {
                errors.Add(new(field, "must be a string."));
                continue;
            }
            if (value.Contains('\0'))
            {
                errors.Add(new(field, "must not contain a NUL character."));
                continue;
            }
            var variable = StepEnvironment.ParameterPrefix + StepEnvironment.Name(name);
            if (!variables.TryAdd(variable, name))
            {
                errors.Add(new(field, $"'{name}' and '{variables[variable]}' both become the environment variable {variable}; parameter names must differ in more than case."));
            }
            bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }
        if (bytes > MaxParameterBytes)
        {
            errors.Add(new("parameters", $"are {bytes} bytes in all (UTF-8, names and values); at most {MaxParameterBytes} are accepted."));
        }
        return errors;
    }

    /// <summary>
    /// Checks every step id (present, well formed, unique, and not colliding with another in an environment
    /// variable name) and maps the valid ones to their index; null when any is invalid.
    /// </summary>
    private static Dictionary<string, int>? IndexSteps(DagStepSpec?[] steps, List<FieldError> errors)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var byVariableName = new Dictionary<string, int>(StringComparer.Ordinal);
        var valid = true;
        for (var i = 0; i < steps.Length; i++)
        {
            var field = $"steps[{i}].id";
            if (steps[i] is not { } step)
            {
                errors.Add(new($"steps[{i}]", "is required (a step, not null)."));
                valid = false;
                continue;
            }
            if (string.IsNullOrEmpty(step.Id))
            {
                errors.Add(new(field, "is required."));
                valid = false;
            }
            else if (step.Id.Length > MaxStepIdLength || !StepIdPattern().IsMatch(step.Id))
            {
                errors.Add(new(field, $"'{JobSpecValidator.Shorten(step.Id)}' is not a valid step id: 1–{MaxStepIdLength} characters of letters, digits, '_' or '-', starting with a letter or digit."));
                valid = false;
            }
            else if (index.TryGetValue(step.Id, out var first))
            {
                errors.Add(new(field, $"duplicate step id '{step.Id}' (also steps[{first}])."));
                valid = false;
            }
            else
            {
                index.Add(step.Id, i);
                var variableName = StepEnvironment.Name(step.Id);
                if (byVariableName.TryGetValue(variableName, out var other))
                {
                    errors.Add(new(field, $"'{step.Id}' and '{steps[other]!.Id}' (steps[{other}]) both become {StepEnvironment.UpstreamPrefix}{variableName}_… in a dependant's environment; step ids must differ in more than case, '-' and '_'."));
                    valid = false;
                }
                else
                {
                    byVariableName.Add(variableName, i);
                }
            }
        }
        return valid ? index : null;
    }

    private static void ValidateStep(DagStepSpec step, string prefix, ActionRules rules, List<FieldError> errors)
    {
        if (step.Action is null)
        {
            errors.Add(new($"{prefix}action", "is required."));
        }
        else
        {
            JobSpecValidator.ValidateAction(step.Action, rules, $"{prefix}action", errors);
        }
        JobSpecValidator.ValidatePolicies(step.Retry, step.Timeout, prefix, errors);
        if (step.Priority is < 0 or > 9)
        {
            errors.Add(new($"{prefix}priority", "must be between 0 (lowest) and 9."));
        }
        JobSpecValidator.ValidateResources(step.Resources, prefix, errors);
        if (!Enum.IsDefined(step.Condition))
        {
            errors.Add(new($"{prefix}condition", "must be allSucceeded, allDone or anyFailed."));
        }
        if (step.WaitFor is { } waitFor)
        {
            ValidateWaitFor(waitFor, $"{prefix}waitFor", errors);
        }
    }

    private static void ValidateWaitFor(WaitForSpec waitFor, string field, List<FieldError> errors)
    {
        switch (waitFor.Job, waitFor.Dag)
        {
            case (null, null):
            case (not null, not null):
                errors.Add(new(field, "needs exactly one of job and dag."));
                break;
            case (not null, null):
                JobSpecValidator.ValidateId(waitFor.Job, $"{field}.job", "job", errors);
                break;
            default:
                JobSpecValidator.ValidateId(waitFor.Dag, $"{field}.dag", "DAG", errors);
                break;
        }
        if (waitFor.Within is { } within && (within <= TimeSpan.Zero || within > MaxWaitWithin))
        {
            errors.Add(new($"{field}.within", $"must be a positive duration of at most {MaxWaitWithin.TotalDays} days."));
        }
        if (waitFor.Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > MaxWaitTimeout))
        {
            errors.Add(new($"{field}.timeout", $"must be a positive duration of at most {MaxWaitTimeout.TotalDays} days."));
        }
    }

    /// <summary>
    /// Checks each <c>dependsOn</c> entry names another step, once; whether a name is a step is checked only when every
    /// step id is valid. False when an entry is wrong (a cycle search would then mean nothing).
    /// </summary>
    private static bool ValidateDependencies(DagStepSpec step, string field, Dictionary<string, int>? index, List<FieldError> errors)
    {
        if (step.DependsOn is not { } dependsOn)
        {
            return true;
        }
        var before = errors.Count;
        if (index is not null && dependsOn.Length > index.Count)
        {
            errors.Add(new(field, $"has {dependsOn.Length} entries; a step depends on at most the {index.Count} steps of its DAG."));
            return false;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var j = 0; j < dependsOn.Length; j++)
        {
            var upstream = dependsOn[j];
            if (string.IsNullOrEmpty(upstream))
            {
                errors.Add(new($"{field}[{j}]", "is required (a step id)."));
            }
            else if (upstream == step.Id)
            {
                errors.Add(new($"{field}[{j}]", $"a step cannot depend on itself: cycle: {upstream} → {upstream}."));
            }
            else if (!seen.Add(upstream))
            {
                errors.Add(new($"{field}[{j}]", $"'{JobSpecValidator.Shorten(upstream)}' is listed twice."));
            }
            else if (index is not null && !index.ContainsKey(upstream))
            {
                errors.Add(new($"{field}[{j}]", $"unknown step '{JobSpecValidator.Shorten(upstream)}'."));
            }
        }
        return errors.Count == before;
    }

    /// <summary>
    /// One cycle, in run order (an upstream step before its dependant), starting at the step declared first among
    /// its members; null when there is none. An iterative depth-first search over steps and their dependants in
    /// declaration order, so the answer is deterministic and a chain of any length fits on the heap.
    /// </summary>
    private static List<string>? FindCycle(DagStepSpec?[] steps, Dictionary<string, int> index)
    {
        var dependants = new List<int>[steps.Length];
        for (var i = 0; i < steps.Length; i++)
        {
            dependants[i] = [];
        }
        for (var i = 0; i < steps.Length; i++)
        {
            foreach (var upstream in steps[i]!.DependsOn ?? [])
            {
                dependants[index[upstream]].Add(i);
            }
        }

        var state = new byte[steps.Length]; // 0 unvisited, 1 on the current path, 2 done
        var path = new List<int>();
        var next = new List<int>();
        for (var root = 0; root < steps.Length; root++)
        {
            if (state[root] != 0)
            {
                continue;
            }
            path.Add(root);
            next.Add(0);
            state[root] = 1;
            while (path.Count > 0)
            {
                var top = path.Count - 1;
                var node = path[top];
                if (next[top] == dependants[node].Count)
                {
                    state[node] = 2;
                    path.RemoveAt(top);
                    next.RemoveAt(top);
                    continue;
                }
                var child = dependants[node][next[top]++];
                if (state[child] == 1)
                {
                    return Named(steps, path.GetRange(path.IndexOf(child), path.Count - path.IndexOf(child)));
                }
                if (state[child] == 0)
                {
                    state[child] = 1;
                    path.Add(child);
                    next.Add(0);
                }
            }
        }
        return null;
    }

    /// <summary>The cycle's step ids from its first-declared member round to it again.</summary>
    private static List<string> Named(DagStepSpec?[] steps, List<int> cycle)
    {
        var start = cycle.IndexOf(cycle.Min());
        var named = new List<string>(cycle.Count + 1);
        for (var k = 0; k <= cycle.Count; k++)
        {
            named.Add(steps[cycle[(start + k) % cycle.Count]]!.Id!);
        }
        return named;
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using JobScheduler.Core.Actions;
using JobScheduler.Core.Secrets;

namespace JobScheduler.Core;

/// <summary>What the node accepting a job allows an action to do.</summary>
public sealed record ActionRules
{
    /// <summary>Whether <c>command</c> actions may be created at all.</summary>
    public bool CommandsEnabled { get; init; }

    /// <summary>
    /// When non-empty, the only executables a <c>command</c> action may run, matched by canonical path
    /// (<see cref="CommandExecutable"/>). Empty: any program, named by an absolute path or found on PATH.
    /// </summary>
    public IReadOnlyCollection<string> AllowedExecutables { get; init; } = [];

    /// <summary>Names of the handlers registered on the silo.</summary>
    public IReadOnlyCollection<string> Handlers { get; init; } = [];

    /// <summary>The largest handler payload accepted, in characters of JSON.</summary>
    public int MaxPayloadLength { get; init; } = 64 * 1024;

    /// <summary>Which addresses <c>http</c> actions may reach. Default: public addresses only.</summary>
    public NetworkPolicy HttpNetworks { get; init; } = NetworkPolicy.Default;
}

/// <summary>Checks a job definition field by field; every error names the field it is about (camelCase JSON path).</summary>
public static partial class JobSpecValidator
{
    public const int MaxIdLength = 128;
    public const int MaxTags = 64;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*\z")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\z")]
    private static partial Regex HeaderNamePattern();

    private static readonly string[] HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    public static IReadOnlyList<FieldError> ValidateId(string? id)
    {
        var errors = new List<FieldError>();
        ValidateId(id, "id", "job", errors);
        return errors;
    }

    /// <summary>Checks an id that follows the job id rules (a job's, a DAG's), naming <paramref name="what"/> it is in the message.</summary>
    internal static void ValidateId(string? id, string field, string what, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(id))
        {
            errors.Add(new(field, "is required."));
        }
        else if (id.Length > MaxIdLength || !IdPattern().IsMatch(id))
        {
            errors.Add(new(field, $"'{Shorten(id)}' is not a valid {what} id: 1–{MaxIdLength} characters of letters, digits, '.', '_' or '-', starting with a letter or digit."));
        }
    }

    /// <summary>Validates a whole definition; <paramref name="now"/> anchors schedules for the "never fires" check.</summary>
    public static IReadOnlyList<FieldError> Validate(JobSpec spec, ActionRules rules, DateTimeOffset now)
    {
        var errors = new List<FieldError>();
        InputLimits.CheckText(spec.Name, InputLimits.MaxNameLength, "name", errors);
        if (spec.Schedule is null)
        {
            errors.Add(new("schedule", "is required."));
        }
        else
        {
            if (FireSchedule.CheckLimits(spec.Schedule, "schedule", errors))
            {
                FireSchedule.TryCreate(spec.Schedule, now, "schedule", errors);
            }
        }
        if (spec.Action is null)
        {
            errors.Add(new("action", "is required."));
        }
        else
        {
            ValidateAction(spec.Action, rules, "action", errors);
        }
        ValidatePolicies(spec.Retry, spec.Timeout, "", errors);
        if (spec.Priority is < 0 or > 9)
        {
            errors.Add(new("priority", "must be between 0 (lowest) and 9."));
        }
        if (!Enum.IsDefined(spec.Concurrency))
        {
            errors.Add(new("concurrency", "must be allow, forbid or replace."));
        }
        if (!Enum.IsDefined(spec.Misfire))
        {
            errors.Add(new("misfire", "must be fireOnce, skip or fireAll."));
        }
        ValidateResources(spec.Resources, "", errors);
        ValidateTags(spec.Tags, errors);
        return errors;
    }

    /// <summary>Validates the overrides of a manual trigger.</summary>
    public static IReadOnlyList<FieldError> Validate(TriggerOptions options, ActionRules rules)
    {
        var errors = new List<FieldError>();
        if (options.Action is not null)
        {
            ValidateAction(options.Action, rules, "action", errors);
        }
        ValidatePolicies(options.Retry, options.Timeout, "", errors);
        return errors;
    }

    /// <summary>Checks a retry policy and a timeout; <paramref name="prefix"/> ("" for a job, <c>steps[i].</c> for a DAG step) starts every field.</summary>
    internal static void ValidatePolicies(RetryPolicy? retry, TimeSpan? timeout, string prefix, List<FieldError> errors)
    {
        if (retry is not null)
        {
            if (retry.MaxAttempts is < 1 or > 100)
            {
                errors.Add(new($"{prefix}retry.maxAttempts", "must be between 1 and 100."));
            }
            InputLimits.CheckDuration(retry.InitialBackoff, InputLimits.MaxBackoff, $"{prefix}retry.initialBackoff", errors);
            if (retry.MaxBackoff < retry.InitialBackoff)
            {
                errors.Add(new($"{prefix}retry.maxBackoff", "must be at least retry.initialBackoff."));
            }
            else
            {
                InputLimits.CheckDuration(retry.MaxBackoff, InputLimits.MaxBackoff, $"{prefix}retry.maxBackoff", errors);
            }
            if (retry.Multiplier is < 1 or > 100 || double.IsNaN(retry.Multiplier))
            {
                errors.Add(new($"{prefix}retry.multiplier", "must be between 1 and 100."));
            }
            if (retry.Jitter is < 0 or > 1 || double.IsNaN(retry.Jitter))
            {
                errors.Add(new($"{prefix}retry.jitter", "must be between 0 and 1."));
            }
        }
        InputLimits.CheckDuration(timeout, InputLimits.MaxTimeout, $"{prefix}timeout", errors);
    }

    /// <summary>Checks an action against this node's rules; <paramref name="field"/> is the action's own field (<c>action</c>, <c>steps[i].action</c>).</summary>
    internal static void ValidateAction(ActionSpec action, ActionRules rules, string field, List<FieldError> errors)
    {
        switch (action.Kind)
        {
            case null:
                errors.Add(new($"{field}.kind", "is required: command, http or handler."));
                break;
            case ActionKind.Command:
                ValidateCommandLimits(action, field, errors);
                if (string.IsNullOrWhiteSpace(action.Command))
                {
                    errors.Add(new($"{field}.command", "is required for a command action (the executable to run)."));
                }
                else if (!rules.CommandsEnabled)
                {
                    errors.Add(new($"{field}.kind", "command actions are disabled on this server; an operator enables them with JobScheduler:Actions:Command:Enabled=true."));
                }
                else if (CommandExecutable.Check(action.Command, rules.AllowedExecutables).Error is { } refused)
                {
                    // The node that runs an attempt checks again with its own allow-list and PATH.
                    errors.Add(new($"{field}.command", refused));
                }
                if (action.WorkingDirectory is { } wd
                    && InputLimits.CheckText(wd, InputLimits.MaxPathLength, $"{field}.workingDirectory", errors, lineBreaksAllowed: false)
                    && !Directory.Exists(wd))
                {
                    errors.Add(new($"{field}.workingDirectory", $"'{Shorten(wd)}' does not exist on this server."));
                }
                break;
            case ActionKind.Http:
                if (string.IsNullOrWhiteSpace(action.Url))
                {
                    errors.Add(new($"{field}.url", "is required for an http action."));
                }
                else if (InputLimits.CheckText(action.Url, InputLimits.MaxUrlLength, $"{field}.url", errors, lineBreaksAllowed: false))
                {
                    if (!Uri.TryCreate(action.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                    {
                        errors.Add(new($"{field}.url", $"'{Shorten(action.Url)}' is not an absolute http or https URL."));
                    }
                    else if (rules.HttpNetworks.CheckHost(uri) is { } refusal)
                    {
                        errors.Add(new($"{field}.url", $"{refusal}."));
                    }
                }
                if (action.Method is { } method && !HttpMethods.Contains(method.ToUpperInvariant()))
                {
                    errors.Add(new($"{field}.method", $"'{Shorten(method)}' is not one of {string.Join(", ", HttpMethods)}."));
                }
                ValidateHeaders(action.Headers, $"{field}.headers", errors);
                InputLimits.CheckText(action.Body, InputLimits.MaxHttpBodyLength, $"{field}.body", errors);
                break;
            case ActionKind.Handler:
                if (string.IsNullOrWhiteSpace(action.Handler))
                {
                    errors.Add(new($"{field}.handler", "is required for a handler action (the registered handler's name)."));
                }
                else if (InputLimits.CheckText(action.Handler, InputLimits.MaxHandlerNameLength, $"{field}.handler", errors, lineBreaksAllowed: false)
                    && !rules.Handlers.Contains(action.Handler))
                {
                    errors.Add(new($"{field}.handler", $"no handler named '{Shorten(action.Handler)}' is registered; known: {string.Join(", ", rules.Handlers.Order())}."));
                }
                break;
            default:
                errors.Add(new($"{field}.kind", $"'{action.Kind}' is not an action kind: command, http or handler."));
                break;
        }
        ActionSecretsValidator.Validate(action, field, errors);
        if (action.Payload is { } payload)
        {
            if (payload.Length > rules.MaxPayloadLength)
            {
                errors.Add(new($"{field}.payload", $"is {payload.Length} characters; at most {rules.MaxPayloadLength} are accepted."));
            }
            else if (PayloadProblem(payload) is { } problem)
            {
                errors.Add(new($"{field}.payload", problem));
            }
        }
    }

    /// <summary>The sizes of a command action's executable, arguments and environment, and the characters a process start refuses.</summary>
    private static void ValidateCommandLimits(ActionSpec action, string field, List<FieldError> errors)
    {
        InputLimits.CheckText(action.Command, InputLimits.MaxCommandLength, $"{field}.command", errors, lineBreaksAllowed: false);
        if (action.Args is { } args)
        {
            if (args.Length > InputLimits.MaxArgs)
            {
                errors.Add(new($"{field}.args", $"has {args.Length} entries; at most {InputLimits.MaxArgs} are accepted."));
            }
            else
            {
                for (var i = 0; i < args.Length; i++)
                {
                    if (args[i] is null)
                    {
                        errors.Add(new($"{field}.args[{i}]", "must be a string, not null."));
                    }
                    InputLimits.CheckText(args[i], InputLimits.MaxArgLength, $"{field}.args[{i}]", errors);
                }
            }
        }
        if (action.Env is { } env)
        {
            if (env.Count > InputLimits.MaxEnvironmentVariables)
            {
                errors.Add(new($"{field}.env", $"has {env.Count} entries; at most {InputLimits.MaxEnvironmentVariables} are accepted."));
                return;
            }
            foreach (var (name, value) in env)
            {
                var entry = $"{field}.env.{Shorten(name)}";
                if (name.Length == 0 || name.Contains('='))
                {
                    errors.Add(new(entry, "an environment variable name is not empty and has no '='."));
                }
                else if (InputLimits.CheckText(name, InputLimits.MaxEnvironmentNameLength, entry, errors, lineBreaksAllowed: false))
                {
                    if (value is null)
                    {
                        errors.Add(new(entry, "must be a string, not null."));
                    }
                    InputLimits.CheckText(value, InputLimits.MaxEnvironmentValueLength, entry, errors);
                }
            }
        }
    }

    /// <summary>Header names are RFC 9110 tokens, values have no line breaks (they would inject headers), and both are bounded.</summary>
    private static void ValidateHeaders(Dictionary<string, string>? headers, string field, List<FieldError> errors)
    {
        if (headers is null)
        {
            return;
        }
        if (headers.Count > InputLimits.MaxHeaders)
        {
            errors.Add(new(field, $"has {headers.Count} entries; at most {InputLimits.MaxHeaders} are accepted."));
            return;
        }
        foreach (var (name, value) in headers)
        {
            var entry = $"{field}.{Shorten(name)}";
            if (name.Length is 0 or > InputLimits.MaxHeaderNameLength || !HeaderNamePattern().IsMatch(name))
            {
                errors.Add(new(entry, $"a header name is 1–{InputLimits.MaxHeaderNameLength} characters of letters, digits and !#$%&'*+-.^_`|~."));
            }
            else if (value is null)
            {
                errors.Add(new(entry, "must be a string, not null."));
            }
            else
            {
                InputLimits.CheckText(value, InputLimits.MaxHeaderValueLength, entry, errors, lineBreaksAllowed: false);
            }
        }
    }

    /// <summary>Checks a resource request; <paramref name="prefix"/> starts every field, as for <see cref="ValidatePolicies"/>.</summary>
    internal static void ValidateResources(ResourceRequest? resources, string prefix, List<FieldError> errors)
    {
        if (resources is null)
        {
            return;
        }
        if (resources.CpuMillis < 0)
        {
            errors.Add(new($"{prefix}resources.cpuMillis", "must not be negative."));
        }
        if (resources.MemoryMb < 0)
        {
            errors.Add(new($"{prefix}resources.memoryMb", "must not be negative."));
        }
        if (resources.Limits is { CpuMillis: <= 0 })
        {
            errors.Add(new($"{prefix}resources.limits.cpuMillis", "must be positive."));
        }
        if (resources.Limits is { MemoryMb: <= 0 })
        {
            errors.Add(new($"{prefix}resources.limits.memoryMb", "must be positive."));
        }
    }

    internal static void ValidateTags(Dictionary<string, string>? tags, List<FieldError> errors)
    {
        if (tags is null)
        {
            return;
        }
        if (tags.Count > MaxTags)
        {
            errors.Add(new("tags", $"has {tags.Count} entries; at most {MaxTags} are accepted."));
        }
        foreach (var (key, value) in tags)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 63 || key.Contains(':') || key.Any(char.IsControl))
            {
                errors.Add(new($"tags.{Shorten(key)}", "a tag key is 1–63 characters, without ':' or control characters."));
            }
            else if (value is null || value.Length > 256 || value.Contains('\0'))
            {
                errors.Add(new($"tags.{key}", "a tag value is a string of at most 256 characters, without NUL."));
            }
        }
    }

    /// <summary>Why a payload cannot be stored, or null: it is not JSON, or a string in it holds a NUL (no database column takes one).</summary>
    private static string? PayloadProblem(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return HasNul(document.RootElement) ? "must not contain a NUL character (\\u0000)." : null;
        }
        catch (JsonException)
        {
            return "is not valid JSON.";
        }
    }

    private static bool HasNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Contains('\0'),
        JsonValueKind.Array => element.EnumerateArray().Any(HasNul),
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0') || HasNul(p.Value)),
        _ => false,
    };

    internal static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}

namespace JobScheduler;

/// <summary>
/// The cluster refused a call from a client: it carried no valid API key, the key's user lacks the role the call
/// needs, or it named a grain clients may not call. The message says which.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.AccessDeniedException")]
public sealed class AccessDeniedException : Exception
{
    public AccessDeniedException() { }

    public AccessDeniedException(string message) : base(message) { }

    public AccessDeniedException(string message, Exception inner) : base(message, inner) { }
}

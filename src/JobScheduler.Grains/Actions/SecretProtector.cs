using JobScheduler.Core.Secrets;
using Microsoft.AspNetCore.DataProtection;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Encrypts action secrets with ASP.NET Core Data Protection under one fixed purpose, and decrypts them for the run.
/// Sealed values read <c>enc:v1:&lt;payload&gt;</c>; the key ring is the store's (<see cref="Core.Storage.IKeyRingStore"/>),
/// so any silo opens what another sealed. The job and DAG grains seal when a definition is written; only
/// <see cref="ActionRunner"/> reveals, on the node that runs the attempt.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    /// <summary>The Data Protection purpose of action secrets; changing it would make every stored secret unreadable.</summary>
    public const string Purpose = "JobScheduler.ActionSecrets.v1";

    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    /// <inheritdoc cref="ActionSecrets.Seal"/>
    public ActionSpec Seal(ActionSpec action, ActionSpec? stored, string field, List<FieldError> errors) =>
        ActionSecrets.Seal(action, stored, Protect, field, errors);

    /// <inheritdoc cref="ActionSecrets.Reveal"/>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A value is not sealed, or its key is not in the key ring.</exception>
    public ActionSpec Reveal(ActionSpec action, out IReadOnlyList<string> values) =>
        ActionSecrets.Reveal(action, Unprotect, out values);

    private string Protect(string value) => ActionSecrets.SealedPrefix + _protector.Protect(value);

    private string Unprotect(string value) => value.StartsWith(ActionSecrets.SealedPrefix, StringComparison.Ordinal)
        ? _protector.Unprotect(value[ActionSecrets.SealedPrefix.Length..])
        : throw new System.Security.Cryptography.CryptographicException("a secret value is stored unencrypted; save the definition again.");
}

namespace JobScheduler.Grains.Hosting;

/// <summary>How the key ring of action secrets is protected in the database; bound from <c>JobScheduler:DataProtection</c>.</summary>
public sealed class SecretKeyOptions
{
    public const string Section = "JobScheduler:DataProtection";

    /// <summary>A PKCS#12 (.pfx) file with a private key that encrypts the stored keys. Default: none (keys stored in plain XML).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }
}

using System.Security.Cryptography.X509Certificates;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Where action secrets' keys come from (docs/security.md, "Secrets"): ASP.NET Core Data Protection under the fixed
/// application name <see cref="ApplicationName"/> (not the content-root path, which differs between silos), its key
/// ring in the store's <see cref="IKeyRingStore"/> so every silo reads the same keys. Keys are stored as plain XML unless
/// <see cref="ProtectSecretKeysWithCertificate(ISiloBuilder, X509Certificate2)"/> encrypts them.
/// </summary>
public static class ActionSecretsExtensions
{
    /// <summary>The Data Protection application name every silo shares.</summary>
    public const string ApplicationName = "JobScheduler";

    /// <summary>Data Protection with the store's key ring, and <see cref="SecretProtector"/>. Safe to call more than once.</summary>
    public static IServiceCollection AddActionSecrets(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SecretProtector)))
        {
            return services;
        }
        services.AddDataProtection().SetApplicationName(ApplicationName);
        // The store registers its key ring with its storage (memory, SQLite, PostgreSQL); a host without one keeps Data
        // Protection's own default, which is per machine.
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(options =>
        {
            if (sp.GetService<IKeyRingStore>() is { } store)
            {
                options.XmlRepository = new KeyRingXmlRepository(store);
            }
        }));
        services.TryAddSingleton<SecretProtector>();
        return services;
    }

    /// <summary>
    /// Encrypts the key ring with <paramref name="certificate"/> before it is stored, and decrypts it with the same one:
    /// a copy of the database alone then opens no secret. Every silo needs the certificate with its private key.
    /// </summary>
    public static ISiloBuilder ProtectSecretKeysWithCertificate(this ISiloBuilder silo, X509Certificate2 certificate)
    {
        silo.Services.AddDataProtection().ProtectKeysWithCertificate(certificate);
        return silo;
    }

    /// <summary>
    /// <see cref="ProtectSecretKeysWithCertificate(ISiloBuilder, X509Certificate2)"/> with the PKCS#12 (.pfx) file that
    /// <see cref="SecretKeyOptions"/> names; nothing when it names none.
    /// </summary>
    public static ISiloBuilder ProtectSecretKeysWithCertificate(this ISiloBuilder silo, SecretKeyOptions options)
    {
        if (string.IsNullOrEmpty(options.CertificatePath))
        {
            return silo;
        }
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException(
                $"{SecretKeyOptions.Section}:CertificatePath '{options.CertificatePath}' has no private key: the key ring could be encrypted but never read back.");
        }
        return silo.ProtectSecretKeysWithCertificate(certificate);
    }
}

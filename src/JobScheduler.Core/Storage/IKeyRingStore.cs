namespace JobScheduler.Core.Storage;

/// <summary>
/// The Data Protection key ring (the keys that encrypt action secrets), kept by the store so that every silo reads the
/// same keys. Elements are only ever added: an expired key still decrypts what it encrypted, and a deleted one loses
/// those secrets for good. Synchronous, as Data Protection's <c>IXmlRepository</c> is: it is read when a silo first
/// needs a key and about once a day after that, and written when a key is created (every 90 days).
/// </summary>
public interface IKeyRingStore
{
    /// <summary>Every element ever stored (each an XML document as text), oldest first.</summary>
    IReadOnlyList<string> ReadAll();

    /// <summary>Stores one more element; <paramref name="name"/> is Data Protection's friendly name for it (e.g. <c>key-&lt;guid&gt;</c>).</summary>
    void Add(string name, string xml);
}

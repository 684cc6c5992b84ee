using System.Xml.Linq;
using JobScheduler.Core.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Data Protection's key ring in the scheduler's store (<see cref="IKeyRingStore"/>): every silo of the cluster reads
/// the same keys. It never deletes: Data Protection's own policy keeps expired keys for decrypting.
/// </summary>
public sealed class KeyRingXmlRepository(IKeyRingStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() => [.. store.ReadAll().Select(xml => XElement.Parse(xml))];

    public void StoreElement(XElement element, string friendlyName) =>
        store.Add(friendlyName, element.ToString(SaveOptions.DisableFormatting));
}

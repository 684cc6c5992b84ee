using JobScheduler.Core.Storage;

namespace JobScheduler.Grains.Storage;

/// <summary>The key ring of an in-memory silo: it lives as long as the process, like everything else the silo stores.</summary>
public sealed class MemoryKeyRingStore : IKeyRingStore
{
    private readonly List<string> _elements = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<string> ReadAll()
    {
        lock (_lock)
        {
            return [.. _elements];
        }
    }

    public void Add(string name, string xml)
    {
        lock (_lock)
        {
            _elements.Add(xml);
        }
    }
}

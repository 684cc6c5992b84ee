using System.Text;

namespace JobScheduler.Core;

/// <summary>Keeps the last <c>capacity</c> characters written to it; safe to write from several threads.</summary>
public sealed class OutputTail(int capacity)
{
    private readonly StringBuilder _buffer = new();
    private readonly Lock _lock = new();

    public bool Truncated { get; private set; }

    public void Append(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }
        lock (_lock)
        {
            _buffer.Append(text);
            // Trim in batches so that appending stays amortised O(1).
            if (_buffer.Length > capacity * 2)
            {
                Trim();
            }
        }
    }

    public void AppendLine(string? line) => Append((line ?? "") + "\n");

    public override string ToString()
    {
        lock (_lock)
        {
            Trim();
            return _buffer.ToString();
        }
    }

    private void Trim()
    {
        if (_buffer.Length > capacity)
        {
            _buffer.Remove(0, _buffer.Length - capacity);
            Truncated = true;
        }
    }
}

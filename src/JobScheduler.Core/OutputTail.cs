using System.Text;

namespace JobScheduler.Core;

/// <summary>Keeps the last <c>capacity</c> characters written to it; safe to write from several threads.</summary>
public sealed class OutputTail(int capacity)
{
    private readonly StringBuilder _buffer = new();
    private readonly Lock _lock = new();

    private bool _trimmed;

    /// <summary>Whether anything written has been dropped to stay within the capacity.</summary>
    public bool Truncated
    {
        get
        {
            lock (_lock)
            {
                return _trimmed || _buffer.Length > capacity;
            }
        }
    }

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
            _trimmed = true;
        }
    }
}

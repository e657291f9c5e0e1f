using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>Every log event the service wrote, rendered with its properties and exception, for tests that look for leaks.</summary>
public sealed class LogRecorder : ILogEventSink
{
    private readonly ConcurrentQueue<string> _events = new();

    public IReadOnlyCollection<string> Events => _events;

    public void Emit(LogEvent logEvent)
    {
        using var writer = new StringWriter();
        writer.Write(logEvent.RenderMessage());
        foreach (var (name, value) in logEvent.Properties)
        {
            writer.Write($" {name}={value}");
        }

        writer.Write(logEvent.Exception);
        _events.Enqueue(writer.ToString());
    }
}

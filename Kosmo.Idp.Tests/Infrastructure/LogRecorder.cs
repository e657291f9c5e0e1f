using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>Every log event the service wrote, rendered with its properties and exception, for tests that look for leaks.</summary>
public sealed class LogRecorder : ILogEventSink
{
    private readonly ConcurrentQueue<string> _events = new();

    private readonly ConcurrentQueue<(LogEventLevel Level, string Text)> _leveled = new();

    public IReadOnlyCollection<string> Events => _events;

    /// <summary>The same events with their levels, for what alerts are built on.</summary>
    public IReadOnlyCollection<(LogEventLevel Level, string Text)> Leveled => _leveled;

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
        _leveled.Enqueue((logEvent.Level, writer.ToString()));
    }
}

using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Kosmo.Idp.Operations.Logging;

public static class LoggingRegistration
{
    /// <summary>
    /// Readable console lines in Development, compact JSON elsewhere (for the log collector).
    /// OpenIddict and ASP.NET Core internals are quieted to warnings: one event per request comes
    /// from the request log, and no protocol message (with its codes or tokens) is written.
    /// </summary>
    public static WebApplicationBuilder AddKosmoLogging(this WebApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        // Settings may name the console sink only: without a list, Serilog opens every DLL beside
        // the binary at start to look for sinks (about 2 MB of mapped pages kept for nothing).
        var settings = new Serilog.Settings.Configuration.ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly);
        builder.Services.AddSerilog((services, logger) =>
        {
            // An operator command reports its own failure in one line; EF Core's error events (with
            // their stack traces) would bury it.
            var command = services.GetService<OperatorCommand>() is not null;
            logger.ReadFrom.Configuration(builder.Configuration, settings)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore", command ? LogEventLevel.Fatal : LogEventLevel.Warning)
                .MinimumLevel.Override("OpenIddict", LogEventLevel.Warning)
                // HttpClient's own start/end lines per call (SendGrid, back-channel logout) repeat what our events say.
                .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
                // A failing probe is the probe's answer (a 503 the orchestrator acts on), not an error of
                // the service: every probe of a shutdown's drain, or of a database outage, would raise
                // error-rate alerts. The outage itself shows in the requests that fail.
                .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
                // Its exception is in the request's own event (UseKosmoRequestLogging).
                .MinimumLevel.Override("Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", LogEventLevel.Fatal)
                .Filter.ByExcluding(MadeUpAntiforgeryCookie)
                .Filter.ByExcluding(RefusedSettingsAtStart)
                .Enrich.FromLogContext();
            // Extra sinks registered by the host (tests read every event this way).
            foreach (var sink in services.GetServices<Serilog.Core.ILogEventSink>())
            {
                logger.WriteTo.Sink(sink);
            }

            // A command's log goes to stderr, so that its output (lists, secrets shown once) stays apart.
            WriteToConsole(logger, development, command ? LogEventLevel.Verbose : null);
        },
        // Each host logs through its own logger, not the static one: a second host in the process (the
        // tests start several) would otherwise take over the first one's events, and close them with it.
        preserveStaticLogger: true);
        return builder;
    }

    /// <summary>
    /// ASP.NET Core logs an antiforgery cookie it cannot read as an error, though the page simply
    /// issues a new one: anyone could fill the error log (and its alerts) by sending made-up cookies.
    /// A cookie whose key our ring does not have is still logged: after a lost key ring, that is news.
    /// </summary>
    private static bool MadeUpAntiforgeryCookie(LogEvent logEvent) =>
        logEvent.Properties.TryGetValue("EventId", out var id) && id is StructureValue eventId
        && eventId.Properties.Any(p => p.Name == "Name" && p.Value is ScalarValue { Value: "TokenDeserializeException" })
        && logEvent.Exception?.GetBaseException().Message.Contains("was not found in the key ring", StringComparison.Ordinal) != true;

    /// <summary>
    /// The host reports a start refused by our settings checks as an error with the whole stack
    /// trace; <see cref="StartupFailure"/> then says the same in one Fatal line naming each setting.
    /// Other start failures (a port already taken) keep the host's event.
    /// </summary>
    private static bool RefusedSettingsAtStart(LogEvent logEvent) =>
        logEvent.MessageTemplate.Text == "Hosting failed to start"
        && logEvent.Exception is { } failure
        && StartupFailure.IsRefusedSetting(failure);

    /// <summary>The console as the log collector reads it: readable lines in Development, compact JSON elsewhere.</summary>
    internal static LoggerConfiguration WriteToConsole(LoggerConfiguration logger, bool development, LogEventLevel? standardErrorFromLevel = null) =>
        development
            ? logger.WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture, standardErrorFromLevel: standardErrorFromLevel)
            : logger.WriteTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: standardErrorFromLevel);

    /// <summary>Registered by the operator command line: the process runs a command, not the service.</summary>
    public sealed class OperatorCommand;

    public static WebApplication UseKosmoRequestLogging(this WebApplication app)
    {
        // RequestPath carries no query string, so codes and states in URLs stay out of the log.
        app.UseSerilogRequestLogging(options =>
        {
            // The host's own logger (AddKosmoLogging keeps the static one out of it).
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            // The exception the error page answered for goes with the request's event, and the
            // exception handler's own event is quieted (AddKosmoLogging): one event, with the cause.
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                if (context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error is { } handled)
                {
                    diagnostics.SetException(handled);
                }
            };
            // The path as sent may hold control characters (%0d%0a, ESC): in the Development console's
            // plain lines they would start a fake log line or act on the terminal.
            options.GetMessageTemplateProperties = (context, requestPath, elapsed, statusCode) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)),
                new LogEventProperty("RequestPath", new ScalarValue(Shared.PlainText.Printable(requestPath))),
                new LogEventProperty("StatusCode", new ScalarValue(statusCode)),
                new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
            ];
            options.GetLevel = (context, _, exception) =>
                context.Request.Path.StartsWithSegments("/health") && exception is null ? LogEventLevel.Verbose
                : exception is not null ? LogEventLevel.Error
                // Contention (a lock or statement timeout): the request is answered "try again", the database is fine.
                : context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error is { } handled
                    && Persistence.DatabaseUnavailable.Busy(handled) ? LogEventLevel.Warning
                // A 503 without an exception is the service saying it is not ready (waiting for the
                // schema, draining): known, reported by readiness, not an error of each request.
                // (The exception the error page handled, a database outage, is not in `exception`.)
                : context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable
                    && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>() is null ? LogEventLevel.Warning
                : context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.GetEndpoint()?.Metadata.GetMetadata<Telemetry.ScrapeEndpoint>() is not null ? LogEventLevel.Verbose
                : LogEventLevel.Information;
        });
        return app;
    }
}

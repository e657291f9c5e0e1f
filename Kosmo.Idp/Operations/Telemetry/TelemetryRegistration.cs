using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kosmo.Idp.Operations.Telemetry;

/// <summary>
/// Metrics for Prometheus (ASP.NET Core, EF Core, Npgsql, HttpClient, runtime and the service's own
/// <see cref="KosmoMetrics"/>) and, when an OTLP endpoint is configured, traces. Kept light for the
/// start-up budget: no console exporter, no tracing unless asked for.
/// </summary>
public static class TelemetryRegistration
{
    // Every metric stream allocates its full cardinality limit of points up front (the default of
    // 2 000 held 9 MB of an idle service's heap across the fifty-odd streams). Only the request
    // duration (route × method × status) reaches the low hundreds; the others have a handful of
    // tag combinations. Anything beyond a limit is still counted, under otel.metric.overflow.
    private const int RequestDurationPoints = 500;
    private const int OtherStreamPoints = 50;

    public static WebApplicationBuilder AddKosmoTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidation>();
        services.AddMetrics();
        services.AddSingleton<KosmoMetrics>();
        services.AddHostedService<MetricsPortCheck>();

        // What is registered depends on the settings, so they are read here; ValidateOnStart checks them as well.
        var settings = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!settings.MetricsEnabled && settings.OtlpEndpoint is null)
        {
            return builder;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("kosmo-idp"));

        if (settings.MetricsEnabled)
        {
            telemetry.WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                // EF Core and Npgsql publish their own meters; nothing else is needed to collect them.
                .AddMeter("Microsoft.EntityFrameworkCore", "Npgsql", KosmoMetrics.MeterName)
                .AddView(instrument => new MetricStreamConfiguration
                {
                    CardinalityLimit = instrument.Name == "http.server.request.duration" ? RequestDurationPoints : OtherStreamPoints,
                })
                // The Prometheus exporter is still a beta, but it is the OpenTelemetry project's own,
                // maintained exporter for Prometheus (the older prometheus-net is a separate metrics stack).
                .AddPrometheusExporter(prometheus =>
                {
                    prometheus.ScrapeEndpointPath = settings.MetricsPath;
                    // Scrapes are rare and internal: answer each with current values, never a cached copy.
                    prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                }));
        }

        if (settings.OtlpEndpoint is { } endpoint)
        {
            telemetry.WithTracing(tracing => tracing
                // Health probes and scrapes would only be noise. Query strings (codes, link tokens) are
                // redacted by the instrumentation; bodies and SQL parameter values are never recorded.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments(settings.MetricsPath))
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = endpoint;
                    otlp.Protocol = settings.OtlpProtocol == OtlpProtocol.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                }));
        }

        return builder;
    }

    /// <summary>
    /// Serves the Prometheus text at Telemetry:MetricsPath when metrics are on. With Telemetry:MetricsPort
    /// it answers only connections to that local port; the Host header is not used for this, as a client
    /// chooses it freely.
    /// </summary>
    public static WebApplication MapKosmoMetrics(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!settings.MetricsEnabled)
        {
            return app;
        }

        app.MapPrometheusScrapingEndpoint(settings.MetricsPath, meterProvider: null, configureBranchedPipeline: branch =>
        {
            if (settings.MetricsPort is { } port)
            {
                branch.Use((context, next) =>
                {
                    if (context.Connection.LocalPort == port)
                    {
                        return next(context);
                    }

                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                });
            }
        }, optionsName: null).WithMetadata(new ScrapeEndpoint());
        return app;
    }

    /// <summary>
    /// The metrics port is for the scraper (and the probes), not a second door to the pages and
    /// endpoints: a port left open inside the cluster would otherwise serve the login page too.
    /// </summary>
    public static WebApplication UseMetricsPortForMetricsOnly(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!settings.MetricsEnabled || settings.MetricsPort is not { } port)
        {
            return app;
        }

        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            if (context.Connection.LocalPort != port || path.StartsWithSegments(settings.MetricsPath) || path.StartsWithSegments("/health"))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }
}

/// <summary>Marks the scrape endpoint, so the request log keeps it out of the information level.</summary>
public sealed class ScrapeEndpoint;

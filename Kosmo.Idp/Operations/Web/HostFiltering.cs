using Kosmo.Idp.Operations.Telemetry;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// ASP.NET Core's host filtering (AllowedHosts), placed by the service instead of the framework so
/// that two kinds of request pass whatever their Host header: health checks (/health/*) and the
/// scrape path on the metrics port. Their callers (the kubelet, the image's HEALTHCHECK, Prometheus) address the pod
/// by its IP, and their answers carry no link a forged Host could bend. Everything else is
/// filtered as before: a page or token for an unknown host is a 400.
/// </summary>
public static class HostFiltering
{
    /// <summary>Takes out the framework's own host filtering, which runs before any middleware of the app.</summary>
    public static IServiceCollection RemoveDefaultHostFiltering(this IServiceCollection services)
    {
        var framework = services.Where(d => d.ServiceType == typeof(IStartupFilter) && d.ImplementationType?.Name == "HostFilteringStartupFilter").ToList();
        if (framework.Count != 1)
        {
            // A framework that no longer registers it this way would filter twice or not at all: fail loudly.
            throw new InvalidOperationException("The framework's host filtering was not found where expected.");
        }

        services.Remove(framework[0]);
        return services;
    }

    public static IApplicationBuilder UseKosmoHostFiltering(this WebApplication app)
    {
        var telemetry = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        return app.UseWhen(
            context => !(context.Request.Path.StartsWithSegments("/health")
                || (context.Connection.LocalPort == telemetry.MetricsPort && context.Request.Path.StartsWithSegments(telemetry.MetricsPath))),
            filtered => filtered.UseHostFiltering());
    }
}

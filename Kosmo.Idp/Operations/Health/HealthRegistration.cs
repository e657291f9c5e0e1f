using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kosmo.Idp.Operations.Health;

public static class HealthRegistration
{
    private const string Ready = "ready";

    public static IServiceCollection AddKosmoHealth(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(provider => provider.GetRequiredService<ShutdownDrain>());
        services.AddHealthChecks()
            .AddCheck<SchemaCurrentCheck>("database", tags: [Ready])
            .AddCheck<ShutdownDrain>("not-stopping", tags: [Ready]);
        return services;
    }

    /// <summary>
    /// /health/live: the process answers. /health/ready: it can serve members (database reachable,
    /// schema current, keys loaded, not shutting down). Answered by middleware ahead of
    /// authentication, where OpenIddict runs: a probe needs no protocol, and must answer even
    /// while the protocol cannot (no keys yet, see <see cref="Web.WaitForKeys"/>).
    /// </summary>
    public static IApplicationBuilder UseKosmoHealth(this IApplicationBuilder app) =>
        app.UseHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false })
            .UseHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteReasonAsync });

    /// <summary>
    /// "Unhealthy: the schema is behind this version: run `migrate`." rather than a bare word: a
    /// failing probe is not logged (its 503 is the answer), so an operator asks the endpoint why.
    /// The checks' descriptions carry no secret; their exceptions are not written.
    /// </summary>
    private static Task WriteReasonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy && e.Description is not null).Select(e => e.Description);
        return context.Response.WriteAsync(report.Status == HealthStatus.Healthy ? "Healthy" : string.Join(" ", [report.Status + ":", .. reasons]));
    }
}

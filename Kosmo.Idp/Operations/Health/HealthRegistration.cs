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

    /// <summary>/health/live: the process answers. /health/ready: it can serve members (database reachable, schema current, keys loaded, not shutting down).</summary>
    public static IEndpointRouteBuilder MapKosmoHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready) });
        return app;
    }
}

using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kosmo.Idp.Operations.Health;

internal sealed class SchemaCurrentCheck(DatabaseMigrator migrator, ProtocolKeyRing keys, Startup.PreparationState preparation) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!await migrator.IsSchemaCurrentAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("The database schema is behind this version: run `migrate`.");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The database cannot be reached.", e);
        }

        return !keys.IsLoaded ? HealthCheckResult.Unhealthy("The protocol keys are not loaded yet.")
            : !preparation.IsDone ? HealthCheckResult.Unhealthy("The relying apps are not synced yet (the start-up preparation is finishing).")
            : HealthCheckResult.Healthy();
    }
}

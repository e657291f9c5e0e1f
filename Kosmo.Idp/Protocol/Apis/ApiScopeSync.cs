using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol.Apis;

/// <summary>
/// Makes OpenIddict's scope store match the configured APIs: one scope entry per API scope, naming
/// its API as the resource. Scopes only ever come from configuration, so any other entry is removed.
/// </summary>
public sealed class ApiScopeSync(IOpenIddictScopeManager scopes, IOptions<ApiOptions> options, ILogger<ApiScopeSync> logger)
{
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var declared = options.Value.Apis
            .SelectMany(api => api.Scopes.Select(scope => (Scope: scope, Api: api)))
            .ToDictionary(d => d.Scope, d => d.Api, StringComparer.Ordinal);

        foreach (var (name, api) in declared)
        {
            var descriptor = new OpenIddictScopeDescriptor { Name = name, DisplayName = api.DisplayName };
            descriptor.Resources.Add(api.Name);
            var existing = await scopes.FindByNameAsync(name, cancellationToken);
            if (existing is null)
            {
                await scopes.CreateAsync(descriptor, cancellationToken);
                logger.LogInformation("Registered API scope {Scope} for {Api}", name, api.Name);
            }
            else
            {
                await scopes.UpdateAsync(existing, descriptor, cancellationToken);
            }
        }

        var stale = new List<object>();
        await foreach (var scope in scopes.ListAsync(count: null, offset: null, cancellationToken))
        {
            if (await scopes.GetNameAsync(scope, cancellationToken) is not { } name || !declared.ContainsKey(name))
            {
                stale.Add(scope);
            }
        }

        foreach (var scope in stale)
        {
            logger.LogInformation("Removing API scope {Scope}: no longer configured", await scopes.GetNameAsync(scope, cancellationToken));
            await scopes.DeleteAsync(scope, cancellationToken);
        }
    }
}

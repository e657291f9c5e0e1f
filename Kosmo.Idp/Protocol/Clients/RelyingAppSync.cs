using System.Text.Json;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Clients;

/// <summary>
/// Makes the store match the configured relying apps: creates new ones, updates changed ones and
/// removes apps that configuration once declared and no longer does. Apps registered by other
/// means (the operator CLI) are left alone.
/// </summary>
public sealed class RelyingAppSync(
    IOpenIddictApplicationManager applications,
    IOptions<RelyingAppOptions> options,
    WithdrawnPermissions withdrawal,
    ILogger<RelyingAppSync> logger)
{
    public const string ManagedByProperty = "managed_by";
    public const string HomeUrlProperty = "home_url";
    private const string ManagedByConfiguration = "configuration";

    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var declared = options.Value.Apps;
        foreach (var app in declared)
        {
            var descriptor = Describe(app);
            var existing = await applications.FindByClientIdAsync(app.ClientId, cancellationToken);
            if (existing is null)
            {
                await applications.CreateAsync(descriptor, cancellationToken);
                logger.LogInformation("Registered relying app {ClientId}", app.ClientId);
            }
            else
            {
                var stored = new OpenIddictApplicationDescriptor();
                await applications.PopulateAsync(stored, existing, cancellationToken);
                await applications.UpdateAsync(existing, descriptor, cancellationToken);
                if (WithdrawnPermissions.Between(Read(stored), app) is { Count: > 0 } withdrawn)
                {
                    var revoked = await withdrawal.RevokeGrantsAsync(existing, cancellationToken);
                    logger.LogWarning("Relying app {ClientId} may no longer use {Withdrawn}: its grants and tokens were revoked ({Revoked} stored tokens)",
                        app.ClientId, string.Join(", ", withdrawn), revoked);
                }
            }
        }

        var declaredIds = declared.Select(a => a.ClientId).ToHashSet(StringComparer.Ordinal);
        var stale = new List<object>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            var properties = await applications.GetPropertiesAsync(application, cancellationToken);
            var clientId = await applications.GetClientIdAsync(application, cancellationToken);
            if (properties.TryGetValue(ManagedByProperty, out var managedBy)
                && managedBy.ValueKind == JsonValueKind.String
                && managedBy.GetString() == ManagedByConfiguration
                && clientId is not null && !declaredIds.Contains(clientId))
            {
                stale.Add(application);
            }
        }

        foreach (var application in stale)
        {
            logger.LogInformation("Removing relying app {ClientId}: no longer configured",
                await applications.GetClientIdAsync(application, cancellationToken));
            await applications.DeleteAsync(application, cancellationToken);
        }
    }

    public static OpenIddictApplicationDescriptor Describe(RelyingApp app)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = app.ClientId,
            DisplayName = app.DisplayName,
            ApplicationType = ApplicationTypes.Web,
            ClientType = app.Kind == RelyingAppKind.Confidential ? ClientTypes.Confidential : ClientTypes.Public,
            ClientSecret = app.Kind == RelyingAppKind.Confidential ? app.ClientSecret : null,
            // First-party apps of the society: no consent screen.
            ConsentType = ConsentTypes.Implicit,
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.EndSession,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };

        if (app.Kind == RelyingAppKind.Confidential)
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
            if (app.AllowClientCredentials)
            {
                descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
            }
        }

        // Refresh tokens only for apps registered for offline_access: an app that never asked for
        // them cannot be made to hold one (OpenIddict refuses the grant without this permission).
        if (app.Scopes.Contains(Scopes.OfflineAccess))
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.RefreshToken);
        }

        foreach (var scope in app.Scopes.Where(s => s != Scopes.OpenId))
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }

        if (!string.IsNullOrEmpty(app.EnglishDisplayName))
        {
            descriptor.DisplayNames[Localization.LocalizationRegistration.EnglishCulture] = app.EnglishDisplayName;
        }

        descriptor.RedirectUris.UnionWith(app.RedirectUris);
        descriptor.PostLogoutRedirectUris.UnionWith(app.PostLogoutRedirectUris);
        descriptor.Properties[ManagedByProperty] = JsonSerializer.SerializeToElement(ManagedByConfiguration);
        if (app.BackchannelLogoutUri is not null)
        {
            descriptor.Properties[Logout.BackchannelLogout.UriProperty] = JsonSerializer.SerializeToElement(app.BackchannelLogoutUri.AbsoluteUri);
        }

        if (app.HomeUrl is not null)
        {
            descriptor.Properties[HomeUrlProperty] = JsonSerializer.SerializeToElement(app.HomeUrl.AbsoluteUri);
        }

        return descriptor;
    }

    /// <summary>
    /// The app a stored descriptor describes, as <see cref="Describe"/> wrote it: what an operator's
    /// update starts from, so that the permissions are derived again from the changed app.
    /// </summary>
    public static RelyingApp Read(OpenIddictApplicationDescriptor descriptor) => new()
    {
        ClientId = descriptor.ClientId ?? "",
        DisplayName = descriptor.DisplayName ?? "",
        EnglishDisplayName = descriptor.DisplayNames.GetValueOrDefault(Localization.LocalizationRegistration.EnglishCulture),
        Kind = descriptor.ClientType == ClientTypes.Public ? RelyingAppKind.Public : RelyingAppKind.Confidential,
        RedirectUris = [.. descriptor.RedirectUris],
        PostLogoutRedirectUris = [.. descriptor.PostLogoutRedirectUris],
        Scopes = [.. descriptor.Permissions.Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            .Select(p => p[Permissions.Prefixes.Scope.Length..]).Order(StringComparer.Ordinal)],
        AllowClientCredentials = descriptor.Permissions.Contains(Permissions.GrantTypes.ClientCredentials),
        BackchannelLogoutUri = UriProperty(descriptor, Logout.BackchannelLogout.UriProperty),
        HomeUrl = UriProperty(descriptor, HomeUrlProperty),
    };

    private static Uri? UriProperty(OpenIddictApplicationDescriptor descriptor, string name) =>
        descriptor.Properties.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String
            && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri) ? uri : null;
}

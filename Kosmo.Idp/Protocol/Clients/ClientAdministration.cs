using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Clients;

/// <summary>
/// `clients list|add|update|remove`: relying apps registered by an operator rather than by
/// configuration. Such apps are marked so that the configuration sync leaves them alone, and apps
/// that configuration manages are changed in configuration, not here. Secrets are generated
/// (256 random bits) and shown once; only their keyed hash is stored.
/// </summary>
public sealed class ClientAdministration(
    IOpenIddictApplicationManager applications, IHostEnvironment environment, IConfiguration configuration, IOptions<Apis.ApiOptions> apis,
    Persistence.KosmoDbContext db, Operations.Audit.AuditLog audit)
{
    public const string ManagedByOperator = "operator";

    public async Task<IReadOnlyList<ClientSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var list = new List<ClientSummary>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            await applications.PopulateAsync(descriptor, application, cancellationToken);
            list.Add(new ClientSummary(
                descriptor.ClientId!, descriptor.DisplayName ?? "", descriptor.ClientType ?? "", ManagedBy(descriptor),
                descriptor.RedirectUris.Select(u => u.ToString()).Order(StringComparer.Ordinal).ToList(),
                descriptor.Properties.TryGetValue(RelyingAppSync.HomeUrlProperty, out var home) ? home.GetString() : null));
        }

        return list.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
    }

    public async Task<ClientChange> AddAsync(RelyingApp app, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(app.ClientId, cancellationToken) is not null)
        {
            return ClientChange.Refused($"A relying app '{app.ClientId}' already exists.");
        }

        // Not yet synced (the service has not started on this database since it was configured): the
        // next start would take the app over and drop what the operator registered.
        if (configuration.GetSection(RelyingAppOptions.Section + ":Apps").GetChildren()
            .Any(configured => string.Equals(configured["ClientId"], app.ClientId, StringComparison.Ordinal)))
        {
            return ClientChange.Refused($"'{app.ClientId}' is a relying app of the configuration (RelyingApps:Apps): change it there.");
        }

        var secret = app.Kind == RelyingAppKind.Confidential ? NewSecret() : null;
        app.ClientSecret = secret;
        if (Validate(app) is { } problem)
        {
            return ClientChange.Refused(problem);
        }

        var descriptor = RelyingAppSync.Describe(app);
        descriptor.Properties[RelyingAppSync.ManagedByProperty] = JsonSerializer.SerializeToElement(ManagedByOperator);
        await applications.CreateAsync(descriptor, cancellationToken);
        await AuditAsync(Operations.Audit.AuditKinds.ClientRegistered, app.ClientId,
            [app.Kind.ToString(), .. app.AllowClientCredentials ? ["client credentials"] : Array.Empty<string>(),
                .. app.RedirectUris.Select(u => "redirect " + u.AbsoluteUri), .. app.Scopes.Select(s => "scope " + s)], cancellationToken);
        return ClientChange.Done($"Relying app {app.ClientId} registered.", secret);
    }

    /// <summary>Changes an operator-registered app; values left null stay as they are.</summary>
    public async Task<ClientChange> UpdateAsync(
        string clientId, string? displayName, IReadOnlyList<Uri>? redirectUris, IReadOnlyList<Uri>? postLogoutUris, Uri? homeUrl,
        Uri? backchannelLogoutUri, bool rotateSecret, CancellationToken cancellationToken)
    {
        var (application, descriptor, refusal) = await FindOperatorAppAsync(clientId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var check = new RelyingApp
        {
            ClientId = clientId,
            DisplayName = displayName ?? descriptor!.DisplayName ?? "",
            Kind = descriptor!.ClientType == ClientTypes.Public ? RelyingAppKind.Public : RelyingAppKind.Confidential,
            ClientSecret = descriptor.ClientType == ClientTypes.Public ? null : new string('x', 64),
            RedirectUris = [.. (IEnumerable<Uri>?)redirectUris ?? descriptor.RedirectUris],
            PostLogoutRedirectUris = [.. (IEnumerable<Uri>?)postLogoutUris ?? descriptor.PostLogoutRedirectUris],
            HomeUrl = homeUrl,
            BackchannelLogoutUri = backchannelLogoutUri,
        };
        if (Validate(check) is { } problem)
        {
            return ClientChange.Refused(problem);
        }

        if (rotateSecret && descriptor.ClientType == ClientTypes.Public)
        {
            return ClientChange.Refused($"{clientId} is a public app: it has no secret.");
        }

        descriptor.DisplayName = check.DisplayName;
        descriptor.RedirectUris.Clear();
        descriptor.RedirectUris.UnionWith(check.RedirectUris);
        descriptor.PostLogoutRedirectUris.Clear();
        descriptor.PostLogoutRedirectUris.UnionWith(check.PostLogoutRedirectUris);
        if (homeUrl is not null)
        {
            descriptor.Properties[RelyingAppSync.HomeUrlProperty] = JsonSerializer.SerializeToElement(homeUrl.AbsoluteUri);
        }

        if (backchannelLogoutUri is not null)
        {
            descriptor.Properties[Logout.BackchannelLogout.UriProperty] = JsonSerializer.SerializeToElement(backchannelLogoutUri.AbsoluteUri);
        }

        // The descriptor carries the stored (hashed) secret, so the update keeps it unless rotated below.
        await applications.UpdateAsync(application!, descriptor, cancellationToken);
        string? secret = null;
        if (rotateSecret)
        {
            secret = NewSecret();
            await applications.UpdateAsync(application!, secret, cancellationToken);
        }

        var changed = new (bool Changed, string What)[]
        {
            (displayName is not null, "name"), (postLogoutUris is not null, "post-logout URIs"), (homeUrl is not null, "home URL"),
            (backchannelLogoutUri is not null, "back-channel logout URI"), (rotateSecret, "new secret"),
        }.Where(c => c.Changed).Select(c => c.What).Concat((redirectUris ?? []).Select(u => "redirect " + u.AbsoluteUri));
        await AuditAsync(Operations.Audit.AuditKinds.ClientUpdated, clientId, changed, cancellationToken);
        return ClientChange.Done($"Relying app {clientId} updated.", secret);
    }

    public async Task<ClientChange> RemoveAsync(string clientId, CancellationToken cancellationToken)
    {
        var (application, _, refusal) = await FindOperatorAppAsync(clientId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        // OpenIddict's store removes the app's authorizations and tokens with it.
        await applications.DeleteAsync(application!, cancellationToken);
        await AuditAsync(Operations.Audit.AuditKinds.ClientRemoved, clientId, [], cancellationToken);
        return ClientChange.Done($"Relying app {clientId} removed; its tokens no longer work.", null);
    }

    private async Task<(object? Application, OpenIddictApplicationDescriptor? Descriptor, ClientChange? Refusal)> FindOperatorAppAsync(
        string clientId, CancellationToken cancellationToken)
    {
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return (null, null, ClientChange.Unknown($"No relying app '{clientId}'."));
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        return ManagedBy(descriptor) == ManagedByOperator
            ? (application, descriptor, null)
            : (null, null, ClientChange.Refused($"{clientId} is managed by configuration (RelyingApps:Apps): change it there."));
    }

    private string? Validate(RelyingApp app)
    {
        var result = new RelyingAppValidation(environment, apis).Validate(null, new RelyingAppOptions { Apps = [app] });
        return result.Failed ? string.Join(" ", result.Failures ?? []) : null;
    }

    /// <summary>Who changed which app, and what (never a secret): apps hold the keys to members' data.</summary>
    private async Task AuditAsync(string kind, string clientId, IEnumerable<string> changes, CancellationToken cancellationToken)
    {
        var detail = string.Join("; ", [clientId, Operations.MemberCommands.OperatorNote.ForCurrentUser(null).ToString(), .. changes]);
        audit.Record(kind, null, Operations.Audit.AuditLog.Limited(detail, 500));
        await db.SaveChangesAsync(cancellationToken);
    }

    private static string ManagedBy(OpenIddictApplicationDescriptor descriptor) =>
        descriptor.Properties.TryGetValue(RelyingAppSync.ManagedByProperty, out var by) && by.ValueKind == JsonValueKind.String
            ? by.GetString()! : "unknown";

    private static string NewSecret() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
}

public sealed record ClientSummary(string ClientId, string DisplayName, string Kind, string ManagedBy, IReadOnlyList<string> RedirectUris, string? HomeUrl);

public sealed record ClientChange(ClientChangeOutcome Outcome, string Message, string? Secret)
{
    public static ClientChange Done(string message, string? secret) => new(ClientChangeOutcome.Done, message, secret);

    public static ClientChange Refused(string message) => new(ClientChangeOutcome.Refused, message, null);

    public static ClientChange Unknown(string message) => new(ClientChangeOutcome.Unknown, message, null);
}

public enum ClientChangeOutcome
{
    Done,
    Refused,
    Unknown,
}

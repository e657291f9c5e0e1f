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
    IOpenIddictApplicationManager applications, WithdrawnPermissions withdrawal, IHostEnvironment environment, IConfiguration configuration, IOptions<Apis.ApiOptions> apis,
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
            var app = RelyingAppSync.Read(descriptor);
            list.Add(new ClientSummary(
                app.ClientId, app.DisplayName, descriptor.ClientType ?? "", ManagedBy(descriptor),
                app.RedirectUris.Select(u => u.ToString()).Order(StringComparer.Ordinal).ToList(), app.HomeUrl?.AbsoluteUri,
                app.Scopes, app.AllowClientCredentials));
        }

        return list.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToList();
    }

    public async Task<ClientChange> AddAsync(RelyingApp app, CancellationToken cancellationToken)
    {
        if (EmptyId(app.ClientId) is { } empty)
        {
            return empty;
        }

        if (await applications.FindByClientIdAsync(app.ClientId, cancellationToken) is not null)
        {
            return ClientChange.Refused($"A relying app '{app.ClientId}' already exists.");
        }

        // Not yet synced (the service has not started on this database since it was configured): the
        // next start would take the app over and drop what the operator registered.
        if (IsConfigured(app.ClientId))
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
        // The app and its audit event together or not at all: an app saved without its audit, whose
        // secret was never shown, could be neither used nor added again.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await applications.CreateAsync(descriptor, cancellationToken);
        await AuditAsync(Operations.Audit.AuditKinds.ClientRegistered, app.ClientId,
            [app.Kind.ToString(), .. app.AllowClientCredentials ? ["client credentials"] : Array.Empty<string>(),
                .. app.RedirectUris.Select(u => "redirect " + u.AbsoluteUri), .. app.Scopes.Select(s => "scope " + s),
                .. app.HomeUrl is { } home ? ["home URL " + home.AbsoluteUri] : Array.Empty<string>(),
                .. app.BackchannelLogoutUri is { } logout ? ["back-channel logout URI " + logout.AbsoluteUri] : Array.Empty<string>()], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ClientChange.Done($"Relying app {app.ClientId} registered.", secret);
    }

    /// <summary>
    /// Changes an operator-registered app; what the update leaves null stays as it is. The app's
    /// permissions are derived again from the changed app, as <c>add</c> derives them, and what it
    /// may no longer use ends its grants (<see cref="WithdrawnPermissions"/>).
    /// </summary>
    public async Task<ClientChange> UpdateAsync(string clientId, ClientUpdate update, CancellationToken cancellationToken)
    {
        var (application, descriptor, refusal) = await FindOperatorAppAsync(clientId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var current = RelyingAppSync.Read(descriptor!);
        var changed = new RelyingApp
        {
            ClientId = clientId,
            DisplayName = update.DisplayName ?? current.DisplayName,
            // "" removes the English name: English pages then show the display name.
            EnglishDisplayName = update.EnglishDisplayName is { } english ? (english.Length == 0 ? null : english) : current.EnglishDisplayName,
            Kind = current.Kind,
            // Validation asks a confidential app for a secret; the stored one is a hash, kept as it is.
            ClientSecret = current.Kind == RelyingAppKind.Confidential ? new string('x', 64) : null,
            RedirectUris = [.. (IEnumerable<Uri>?)update.RedirectUris ?? current.RedirectUris],
            PostLogoutRedirectUris = [.. (IEnumerable<Uri>?)update.PostLogoutUris ?? current.PostLogoutRedirectUris],
            Scopes = [.. (update.Scopes ?? current.Scopes).Where(s => s != Scopes.OpenId).Distinct(StringComparer.Ordinal)],
            AllowClientCredentials = update.AllowClientCredentials ?? current.AllowClientCredentials,
            HomeUrl = update.HomeUrl is { } home ? home.To : current.HomeUrl,
            BackchannelLogoutUri = update.BackchannelLogoutUri is { } logout ? logout.To : current.BackchannelLogoutUri,
        };
        if (Validate(changed) is { } problem)
        {
            return ClientChange.Refused(problem);
        }

        if (update.RotateSecret && current.Kind == RelyingAppKind.Public)
        {
            return ClientChange.Refused($"{clientId} is a public app: it has no secret.");
        }

        var changes = Differences(current, changed, update.RotateSecret).ToList();
        if (changes.Count == 0)
        {
            return ClientChange.Done($"Relying app {clientId}: nothing changed.", null);
        }

        var next = RelyingAppSync.Describe(changed);
        next.ClientSecret = descriptor!.ClientSecret; // the stored hash: OpenIddict keeps a secret it finds unchanged
        next.Properties[RelyingAppSync.ManagedByProperty] = JsonSerializer.SerializeToElement(ManagedByOperator);
        // All of it or none: a rotated secret saved without being shown would lock the app out.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await applications.UpdateAsync(application!, next, cancellationToken);
        string? secret = null;
        if (update.RotateSecret)
        {
            secret = NewSecret();
            await applications.UpdateAsync(application!, secret, cancellationToken);
        }

        var withdrawn = WithdrawnPermissions.Between(current, changed);
        var revoked = withdrawn.Count > 0 ? await withdrawal.RevokeGrantsAsync(application!, cancellationToken) : 0;

        await AuditAsync(Operations.Audit.AuditKinds.ClientUpdated, clientId,
            [.. changes, .. withdrawn.Count > 0 ? [$"grants revoked ({revoked} stored tokens)"] : Array.Empty<string>()], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var message = $"Relying app {clientId} updated: {string.Join("; ", changes)}.";
        if (withdrawn.Count > 0)
        {
            message += $" It may no longer use {string.Join(", ", withdrawn)}: its grants and tokens were revoked ({revoked} stored tokens), so members sign in to it again.";
        }

        return ClientChange.Done(message, secret);
    }

    /// <summary>What an update changed, in words for the operator and the audit (never a secret).</summary>
    private static IEnumerable<string> Differences(RelyingApp before, RelyingApp after, bool rotated)
    {
        if (before.DisplayName != after.DisplayName)
        {
            yield return "name " + after.DisplayName;
        }

        if (before.EnglishDisplayName != after.EnglishDisplayName)
        {
            yield return after.EnglishDisplayName is null ? "English name removed" : "English name " + after.EnglishDisplayName;
        }

        if (!SameList(before.RedirectUris, after.RedirectUris))
        {
            yield return "redirect URIs " + Listed(after.RedirectUris.Select(u => u.AbsoluteUri));
        }

        if (!SameList(before.PostLogoutRedirectUris, after.PostLogoutRedirectUris))
        {
            yield return "post-logout URIs " + Listed(after.PostLogoutRedirectUris.Select(u => u.AbsoluteUri));
        }

        if (!before.Scopes.Order(StringComparer.Ordinal).SequenceEqual(after.Scopes.Order(StringComparer.Ordinal)))
        {
            yield return "scopes " + Listed(after.Scopes.Order(StringComparer.Ordinal));
        }

        if (before.AllowClientCredentials != after.AllowClientCredentials)
        {
            yield return after.AllowClientCredentials ? "client credentials allowed" : "client credentials withdrawn";
        }

        if (!Same(before.HomeUrl, after.HomeUrl))
        {
            yield return after.HomeUrl is null ? "home URL removed" : "home URL " + after.HomeUrl.AbsoluteUri;
        }

        if (!Same(before.BackchannelLogoutUri, after.BackchannelLogoutUri))
        {
            yield return after.BackchannelLogoutUri is null ? "back-channel logout URI removed" : "back-channel logout URI " + after.BackchannelLogoutUri.AbsoluteUri;
        }

        if (rotated)
        {
            yield return "new secret";
        }

        static string Listed(IEnumerable<string> values) => values.Any() ? string.Join(" ", values) : "(none)";

        // By their whole text: Uri's own equality leaves out the fragment (a single-page app's
        // https://spa/#/menu would equal #/top) and user information.
        static bool Same(Uri? a, Uri? b) => string.Equals(a?.AbsoluteUri, b?.AbsoluteUri, StringComparison.Ordinal);
        static bool SameList(IEnumerable<Uri> a, IEnumerable<Uri> b) => a.Select(u => u.AbsoluteUri).SequenceEqual(b.Select(u => u.AbsoluteUri), StringComparer.Ordinal);
    }

    public async Task<ClientChange> RemoveAsync(string clientId, CancellationToken cancellationToken)
    {
        var (application, _, refusal) = await FindOperatorAppAsync(clientId, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        // OpenIddict's store removes the app's authorizations and tokens with it (inside this
        // transaction: it only opens its own when none is open).
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await applications.DeleteAsync(application!, cancellationToken);
        await AuditAsync(Operations.Audit.AuditKinds.ClientRemoved, clientId, [], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ClientChange.Done($"Relying app {clientId} removed with its grants: its refresh tokens no longer work, and introspection and userinfo refuse its access tokens (APIs that check them offline accept them until they expire).", null);
    }

    private async Task<(object? Application, OpenIddictApplicationDescriptor? Descriptor, ClientChange? Refusal)> FindOperatorAppAsync(
        string clientId, CancellationToken cancellationToken)
    {
        if (EmptyId(clientId) is { } empty)
        {
            return (null, null, empty);
        }

        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return (null, null, IsConfigured(clientId)
                ? ClientChange.Refused($"{clientId} is managed by configuration (RelyingApps:Apps): change it there. (The service registers it at its next start.)")
                : ClientChange.Unknown($"No relying app '{clientId}'."));
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        if (ManagedBy(descriptor) != ManagedByOperator)
        {
            return (null, null, ClientChange.Refused($"{clientId} is managed by configuration (RelyingApps:Apps): change it there."));
        }

        // Registered here, then declared in the configuration too: the service's next start takes it
        // over, and a secret or change made now would be dropped then.
        return IsConfigured(clientId)
            ? (null, null, ClientChange.Refused($"{clientId} is now declared in the configuration (RelyingApps:Apps), which takes it over at the service's next start: change it there."))
            : (application, descriptor, null);
    }

    /// <summary>An empty client id is bad usage, said as such, before the store is asked (which throws on it).</summary>
    private static ClientChange? EmptyId(string clientId) =>
        string.IsNullOrWhiteSpace(clientId) ? ClientChange.Refused("The client id is empty: " + RelyingAppValidation.ClientIdRule) : null;

    private bool IsConfigured(string clientId) =>
        configuration.GetSection(RelyingAppOptions.Section + ":Apps").GetChildren()
            .Any(configured => string.Equals(configured["ClientId"], clientId, StringComparison.Ordinal));

    private string? Validate(RelyingApp app)
    {
        var result = new RelyingAppValidation(environment, apis).Validate(null, new RelyingAppOptions { Apps = [app] });
        // The rules speak of the configuration section ("RelyingApps 'x': …"), which a command did not touch.
        var configurationPrefix = $"RelyingApps '{app.ClientId}': ";
        return result.Failed
            ? app.ClientId + ": " + string.Join(" ", (result.Failures ?? []).Select(f => f.StartsWith(configurationPrefix, StringComparison.Ordinal) ? f[configurationPrefix.Length..] : f))
            : null;
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

public sealed record ClientSummary(
    string ClientId, string DisplayName, string Kind, string ManagedBy, IReadOnlyList<string> RedirectUris, string? HomeUrl,
    IReadOnlyList<string> Scopes, bool ClientCredentials);

/// <summary>An operator's change to an app: null leaves a value as it is.</summary>
public sealed record ClientUpdate(
    string? DisplayName = null, IReadOnlyList<Uri>? RedirectUris = null, IReadOnlyList<Uri>? PostLogoutUris = null,
    IReadOnlyList<string>? Scopes = null, bool? AllowClientCredentials = null, UriChange? HomeUrl = null,
    UriChange? BackchannelLogoutUri = null, bool RotateSecret = false, string? EnglishDisplayName = null);

/// <summary>A new value for an optional address; <c>To</c> null removes it.</summary>
public sealed record UriChange(Uri? To);

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

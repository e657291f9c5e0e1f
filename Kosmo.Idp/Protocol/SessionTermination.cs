using Kosmo.Idp.Journey;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Authentication;
using System.Text.Json;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// Ends every session of a member at once: cookies made under the old session version stop
/// counting (the journey treats them as signed out) and every live token and authorization
/// issued to relying apps is revoked, so refresh tokens stop working too. A member who signs out
/// the other devices keeps this device's session, and with it the tokens of the apps signed in
/// through it.
/// </summary>
public sealed class SessionTermination(
    IOpenIddictTokenManager tokens, IOpenIddictAuthorizationManager authorizations, Logout.BackchannelLogout backchannel,
    KosmoDbContext db, AuditLog audit)
{
    private const string SessionProperty = "kosmo_session";

    /// <summary>Marks a new authorization with the provider session (its ID) it is made in.</summary>
    public static void Tag(OpenIddictAuthorizationDescriptor authorization, string? sessionId)
    {
        if (sessionId is not null)
        {
            authorization.Properties[SessionProperty] = JsonSerializer.SerializeToElement(sessionId);
        }
    }

    /// <summary>
    /// Raises the member's session version (saved by the caller) and revokes what relying apps
    /// hold, except what was issued in the session <paramref name="sparedSessionId"/> (the member's
    /// own device, which the caller signs in again under the new version).
    /// </summary>
    public async Task<(int Tokens, int Authorizations)> EndAllAsync(Member member, string? sparedSessionId, CancellationToken cancellationToken)
    {
        member.SessionVersion++;
        var subject = member.Id.ToString();

        // Collected before revoking: a revocation saves while the query would still be reading.
        var granted = new List<object>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, cancellationToken))
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken))
            {
                continue;
            }

            if (sparedSessionId is not null && await IsFromSessionAsync(authorization, sparedSessionId, cancellationToken))
            {
                kept.Add((await authorizations.GetIdAsync(authorization, cancellationToken))!);
            }
            else
            {
                granted.Add(authorization);
            }
        }

        var live = new List<object>();
        await foreach (var token in tokens.FindBySubjectAsync(subject, cancellationToken))
        {
            if ((await tokens.HasStatusAsync(token, Statuses.Valid, cancellationToken) || await tokens.HasStatusAsync(token, Statuses.Inactive, cancellationToken))
                && !(await tokens.GetAuthorizationIdAsync(token, cancellationToken) is { } family && kept.Contains(family)))
            {
                live.Add(token);
            }
        }

        var revokedTokens = 0;
        foreach (var token in live)
        {
            revokedTokens += await tokens.TryRevokeAsync(token, cancellationToken) ? 1 : 0;
        }

        var revokedAuthorizations = 0;
        var ended = new List<Logout.EndedGrant>();
        foreach (var authorization in granted)
        {
            if (await authorizations.TryRevokeAsync(authorization, cancellationToken))
            {
                revokedAuthorizations++;
                ended.Add(await EndedAsync(authorization, subject, cancellationToken));
            }
        }

        await backchannel.NotifyAsync(ended, cancellationToken);
        return (revokedTokens, revokedAuthorizations);
    }

    /// <summary>
    /// Signs the member out of this browser's session (the provider's own logout, or a relying
    /// app's end-session request) and ends what it granted: the apps' authorizations made in it are
    /// revoked with their refresh tokens, so none left behind in a shared PC's browser (a browser
    /// app keeps its tokens there) still works. Sessions on other devices keep theirs.
    /// </summary>
    public async Task SignOutHereAsync(HttpContext context, string where)
    {
        var cancellationToken = context.RequestAborted;
        if (await MemberSession.ReadAsync(context) is { } session)
        {
            var revoked = session.Id is null ? 0 : await EndGrantsOfAsync(session.MemberId, session.Id, cancellationToken);
            audit.Record(AuditKinds.SignedOut, session.MemberId, $"{where}; {revoked} token(s) revoked");
            await db.SaveChangesAsync(cancellationToken);
        }

        await context.SignOutAsync(MemberSession.Scheme);
    }

    private async Task<long> EndGrantsOfAsync(Guid memberId, string sessionId, CancellationToken cancellationToken)
    {
        var ofSession = new List<object>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(memberId.ToString(), cancellationToken))
        {
            if (await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken)
                && await IsFromSessionAsync(authorization, sessionId, cancellationToken))
            {
                ofSession.Add(authorization);
            }
        }

        long revoked = 0;
        var ended = new List<Logout.EndedGrant>();
        foreach (var authorization in ofSession)
        {
            revoked += await tokens.RevokeByAuthorizationIdAsync((await authorizations.GetIdAsync(authorization, cancellationToken))!, cancellationToken);
            await authorizations.TryRevokeAsync(authorization, cancellationToken);
            ended.Add(await EndedAsync(authorization, memberId.ToString(), cancellationToken));
        }

        await backchannel.NotifyAsync(ended, cancellationToken);
        return revoked;
    }

    private async Task<bool> IsFromSessionAsync(object authorization, string sessionId, CancellationToken cancellationToken) =>
        await SessionOfAsync(authorization, cancellationToken) == sessionId;

    private async Task<string?> SessionOfAsync(object authorization, CancellationToken cancellationToken) =>
        (await authorizations.GetPropertiesAsync(authorization, cancellationToken)).TryGetValue(SessionProperty, out var tag)
        && tag.ValueKind == JsonValueKind.String ? tag.GetString() : null;

    private async Task<Logout.EndedGrant> EndedAsync(object authorization, string subject, CancellationToken cancellationToken) =>
        new((await authorizations.GetApplicationIdAsync(authorization, cancellationToken))!, subject, await SessionOfAsync(authorization, cancellationToken));
}

using System.Security.Claims;
using Kosmo.Idp.Journey;
using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Apis;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>
/// The passthrough endpoints: OpenIddict validates every protocol parameter first, these
/// handlers only decide who the member is and what goes into the tokens.
/// </summary>
public static class AuthorizationEndpoints
{
    public static IEndpointRouteBuilder MapKosmoProtocol(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/" + ProtocolPaths.Authorize, [HttpMethods.Get, HttpMethods.Post], (Delegate)Authorize).DisableAntiforgery();
        app.MapPost("/" + ProtocolPaths.Token, (Delegate)Exchange).DisableAntiforgery();
        app.MapMethods("/" + ProtocolPaths.UserInfo, [HttpMethods.Get, HttpMethods.Post], (Delegate)UserInfo).DisableAntiforgery();
        app.MapMethods("/" + ProtocolPaths.EndSession, [HttpMethods.Get, HttpMethods.Post], (Delegate)EndSession).DisableAntiforgery();
        return app;
    }

    // Kestrel's request line holds 8 KiB, method and protocol included; the rest is margin.
    private const int LongestJourneyUrl = 7 * 1024;

    private static readonly string[] MemberScopes = [Scopes.OpenId, Scopes.OfflineAccess, Scopes.Profile, Scopes.Email, Scopes.Phone, Scopes.Address, Scopes.Roles];

    private static async Task<IResult> Authorize(
        HttpContext context, KosmoDbContext db, MemberPrincipalFactory principals,
        IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations, MemberJourney journey, TimeProvider time,
        SignInRequestedAt signInRequested, IdTokenHint idTokenHint)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not handle this authorization request.");

        Localization.RelyingAppLanguage.RememberFrom(context, request.UiLocales);

        var session = await MemberSession.ReadAsync(context);
        var member = session is null ? null : await db.Members.FindAsync(session.MemberId);
        // In seconds, not as a TimeSpan: any number an app sends (up to long.MaxValue) compares.
        var asked = session is not null && signInRequested.IsAnsweredBy(request, session.AuthenticatedAt);
        var tooOld = session is not null && request.MaxAge is { } maxAge
            && (time.GetUtcNow() - session.AuthenticatedAt).TotalSeconds > maxAge && !asked;

        // An id_token_hint names the member the app expects (OpenID Connect Core 3.1.2.1). On a PC
        // a family shares, another member may be signed in here: a silent request must not return
        // them, and a visible one asks to sign in (whoever signs in then is the answer).
        var someoneElse = false;
        if (!string.IsNullOrEmpty(request.IdTokenHint))
        {
            if (await idTokenHint.SubjectAsync(context, request.IdTokenHint) is not { } hinted)
            {
                return Refuse(Errors.InvalidRequest, "The id_token_hint is not an ID token issued by this provider.");
            }

            someoneElse = member is not null && hinted != member.Id.ToString() && !asked;
        }

        // select_account: on a PC a family shares, the login page is where another member signs in.
        var signInAsked = request.HasPromptValue(PromptValues.Login) || request.HasPromptValue(PromptValues.SelectAccount);
        if (member is null || tooOld || someoneElse || signInAsked)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                // Not "another member is signed in": the app would learn who else uses this browser.
                return Refuse(Errors.LoginRequired, tooOld && !someoneElse ? "The member signed in longer ago than max_age."
                    : member is null || someoneElse ? "The member is not signed in."
                    : "The member must sign in again.");
            }

            // Back here after the login page, without prompt=login and marked as asked for (max_age
            // would otherwise send a sign-in made a second ago round again).
            request.SetParameter(SignInRequestedAt.Parameter, signInRequested.For(request));
            return ToJourney(JourneyStep.SignIn, ReturnUrl(context, request, Parameters.Prompt));
        }

        var next = journey.Next(member, session, AuthenticationDemand.FromAcrValues(request.AcrValues));
        if (next != JourneyStep.Done)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                // A session that ran out (or was ended) needs a login; anything else, a page of the journey.
                return next == JourneyStep.SignIn
                    ? Refuse(Errors.LoginRequired, "The member must sign in again.")
                    : Refuse(Errors.InteractionRequired, "The member has steps to complete on the provider.");
            }

            return ToJourney(next, ReturnUrl(context, request));
        }

        // Made under the member's row: an operator or another device ending every session right now
        // either waits for this sign-in and ends it too, or has already raised the version read here.
        // So does a sign-out of this one session (SessionTermination.SignOutHereAsync), under the
        // session's own lock, which the cookie check at the start of this request may have just missed.
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        if (await MemberRowLock.SessionVersionKeptAsync(db, member!.Id, context.RequestAborted) != session!.Version
            || (session.Id is { } sessionId && await EndedUnderItsLockAsync(db, sessionId, context.RequestAborted)))
        {
            return request.HasPromptValue(PromptValues.None)
                ? Refuse(Errors.LoginRequired, "The member must sign in again.")
                : ToJourney(JourneyStep.SignIn, ReturnUrl(context, request));
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!)
            ?? throw new InvalidOperationException("OpenIddict validated an unknown client.");
        var principal = await principals.CreateAsync(member, session, request.GetScopes(), context.RequestAborted);

        // An authorization ties the code and its refresh tokens into one family that is revoked
        // together; it remembers the provider session it was made in (see SessionTermination).
        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = await applications.GetIdAsync(application),
            CreationDate = time.GetUtcNow(),
            Principal = principal,
            Status = Statuses.Valid,
            Subject = member.Id.ToString(),
            Type = AuthorizationTypes.AdHoc,
        };
        descriptor.Scopes.UnionWith(principal.GetScopes());
        SessionTermination.Tag(descriptor, session.Id);
        var authorization = await authorizations.CreateAsync(descriptor);
        principal.SetAuthorizationId(await authorizations.GetIdAsync(authorization));
        await transaction.CommitAsync(context.RequestAborted);

        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> Exchange(
        HttpContext context, KosmoDbContext db, MemberPrincipalFactory principals, IOpenIddictApplicationManager applications,
        ApiAudiences audiences, MemberJourney journey)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not handle this token request.");

        if (request.IsClientCredentialsGrantType())
        {
            // A service acts as itself: no member signs in, so no id_token and no refresh token,
            // and no member data (profile, email) to ask for. Only APIs' scopes make sense here.
            if (request.GetScopes().Intersect(MemberScopes, StringComparer.Ordinal).FirstOrDefault() is { } memberScope)
            {
                return Refuse(Errors.InvalidScope, $"The scope '{memberScope}' needs a member's sign-in; client credentials can only ask for APIs' scopes.");
            }

            var application = await applications.FindByClientIdAsync(request.ClientId!)
                ?? throw new InvalidOperationException("OpenIddict validated an unknown client.");
            var identity = new ClaimsIdentity("Kosmo.Idp", Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId)
                .SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application));
            identity.SetScopes(request.GetScopes());
            identity.SetResources(await audiences.OfAsync(request.GetScopes(), context.RequestAborted));
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var stored = result.Principal!;
            // The code or refresh token carries the session it was issued from (sub, auth_time, amr).
            var session = MemberSession.From(stored);
            var member = session is null ? null
                : await db.Members.AsNoTracking().FirstOrDefaultAsync(m => m.Id == session.MemberId);
            if (member is null)
            {
                return Refuse(Errors.InvalidGrant, "The member no longer exists.");
            }

            if (member.IsLocked)
            {
                return Refuse(Errors.InvalidGrant, "The member's account is locked.");
            }

            // An app's refresh tokens never outlast the provider session they came from.
            if (journey.IsTooOld(session!))
            {
                return Refuse(Errors.InvalidGrant, "The member's sign-in is too old; the member must sign in again.");
            }

            // Rebuilt from the member as stored now, so a renamed member gets the new name at the next refresh.
            // OpenIddict refused a refresh asking for more than was granted, and narrows the access token's scope itself.
            var asked = request.IsRefreshTokenGrantType() && !string.IsNullOrEmpty(request.Scope) ? request.GetScopes().ToHashSet(StringComparer.Ordinal) : null;
            var principal = await principals.CreateAsync(member, session!, stored.GetScopes(), context.RequestAborted, asked);
            principal.SetAuthorizationId(stored.GetAuthorizationId());
            return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Refuse(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }

    private static async Task<IResult> UserInfo(HttpContext context, KosmoDbContext db)
    {
        var result = await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var principal = result.Principal;
        var member = Guid.TryParse(principal?.GetClaim(Claims.Subject), out var memberId)
            ? await db.Members.AsNoTracking().FirstOrDefaultAsync(m => m.Id == memberId)
            : null;
        if (principal is null || member is null)
        {
            return Results.Challenge(ErrorProperties(Errors.InvalidToken, "The access token does not belong to a member."),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        // As the token endpoint: a locked account's data is not handed out on a token issued before the lock.
        if (member.IsLocked)
        {
            return Results.Challenge(ErrorProperties(Errors.InvalidToken, "The member's account is locked."),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        // Userinfo belongs to OpenID Connect (Core 5.3): a token from a request without openid gets nothing here.
        if (!principal.HasScope(Scopes.OpenId))
        {
            return Results.Forbid(ErrorProperties(Errors.InsufficientScope, "The access token was not issued for an OpenID Connect request (scope openid)."),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }

        var claims = MemberPrincipalFactory.ProfileOf(member, principal.HasScope);
        claims[Claims.Subject] = member.Id.ToString();
        return Results.Ok(claims);
    }

    private static async Task<IResult> EndSession(
        HttpContext context, SessionTermination sessions, IdTokenHint idTokenHint, IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions)
    {
        // Only an id_token of this member shows that one of their apps sent them here; without one
        // (or with a made-up one) a link on any site could sign them out. A signed-in member then
        // confirms on /logout first, by a POST back here carrying that page's antiforgery token: the
        // SameSite=Lax session cookie already keeps other sites' forms out, the token also keeps out
        // forms on sibling hosts of the society's domain.
        var request = context.GetOpenIddictServerRequest();
        Localization.RelyingAppLanguage.RememberFrom(context, request?.UiLocales);
        var hint = await idTokenHint.ReadAsync(context.Request, request?.IdTokenHint);
        var confirmed = HttpMethods.IsPost(context.Request.Method) && await antiforgery.IsRequestValidAsync(context);
        if (await MemberSession.ReadAsync(context) is { } session
            && hint?.FindFirst(Claims.Subject)?.Value != session.MemberId.ToString()
            && !confirmed)
        {
            return Results.Redirect("/logout" + (request is null ? QueryString.Empty : QueryOf(request, antiforgeryOptions.Value.FormFieldName)));
        }

        // The sign-in the id_token_hint names ends too, also without this browser's cookie and also
        // when the app revoked its grant first (SetAsideHintsStillBindTheirApps has checked the hint
        // against the app, as OpenIddict does for a hint whose grant is live).
        await sessions.SignOutHereAsync(context, "relying app's end-session request", hint is null ? null : new ClaimsPrincipal(hint));

        // A return address is followed only when something vouches for it (RP-Initiated Logout 2): a valid
        // id_token_hint, or the member, who pressed the button on /logout. A client_id does not: it is in
        // every authorization URL. Otherwise any page could bounce a browser with no session through here
        // to an app's logout page, with a state of its choosing.
        if (hint is null && !confirmed && !string.IsNullOrEmpty(request?.PostLogoutRedirectUri))
        {
            return Results.Redirect("/signed-out");
        }

        // OpenIddict redirects to the validated post_logout_redirect_uri when one was sent;
        // otherwise the member sees our own signed-out page.
        return Results.SignOut(new AuthenticationProperties { RedirectUri = "/signed-out" },
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static async Task<bool> EndedUnderItsLockAsync(KosmoDbContext db, string sessionId, CancellationToken cancellationToken)
    {
        await OneAtATime.HoldAsync(db, SessionTermination.SessionKey(sessionId), cancellationToken);
        return await EndedSessions.IsEndedAsync(db, sessionId, cancellationToken);
    }

    // The request rides through the member's pages in their URLs: one too long for a request line
    // (a huge state, sent by POST) would strand the member on the server's bare 414.
    private static IResult ToJourney(JourneyStep step, string returnUrl) =>
        MemberJourney.UrlOf(step, returnUrl) is { Length: <= LongestJourneyUrl } url
            ? Results.Redirect(url)
            : Refuse(Errors.InvalidRequest, "The authorization request is too long.");

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(ErrorProperties(error, description), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    private static AuthenticationProperties ErrorProperties(string error, string description) =>
        new(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        });

    // The same authorization request as a GET, whether it came as GET or as a form post.
    private static string ReturnUrl(HttpContext context, OpenIddictRequest request, string? without = null) =>
        context.Request.PathBase + "/" + ProtocolPaths.Authorize + QueryOf(request, without);

    // A request's parameters as a query string, whether they came in the URL or in a form.
    internal static QueryString QueryOf(OpenIddictRequest request, string? without = null) =>
        QueryString.Create(request.GetParameters()
            .Where(p => p.Key != without)
            .Select(p => new KeyValuePair<string, string?>(p.Key, (string?)p.Value)));
}

using System.Security.Claims;
using Kosmo.Idp.Journey;
using Kosmo.Idp.Members;
using Kosmo.Idp.Protocol.Apis;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

/// <summary>The identity handed to relying apps: which claims exist and which token each goes into.</summary>
public sealed class MemberPrincipalFactory(ApiAudiences audiences, MemberJourney journey, IOptionsMonitor<ProtocolOptions> protocol)
{
    /// <param name="scopes">The scopes granted, which a refresh token issued from this principal keeps.</param>
    /// <param name="asked">
    /// The fewer scopes a refresh request asked for (RFC 6749 section 6): the id_token says only
    /// what these reveal (the access token's scope and audiences: NarrowedRefreshesNameOnlyTheirApis).
    /// Null: all that was granted.
    /// </param>
    public async Task<ClaimsPrincipal> CreateAsync(
        Member member, MemberSession session, IEnumerable<string> scopes, CancellationToken cancellationToken, IReadOnlySet<string>? asked = null)
    {
        var identity = new ClaimsIdentity(
            authenticationType: "Kosmo.Idp", nameType: Claims.Name, roleType: Claims.Role);

        identity.SetClaim(Claims.Subject, member.Id.ToString())
            .SetClaim(Claims.AuthenticationTime, session.AuthenticatedAt.ToUnixTimeSeconds())
            .SetClaim(Claims.AuthenticationContextReference, AuthenticationMethods.AcrFor(session))
            .SetClaims(Claims.AuthenticationMethodReference, [.. session.Methods]);
        if (session.Id is not null)
        {
            identity.SetClaim(MemberSession.SessionIdClaim, session.Id);
        }

        identity.SetScopes(scopes);
        // A refresh token dies with the sign-in it came from, so introspection and the token's own
        // exp say what the token endpoint would (which refuses a refresh after that anyway).
        var left = journey.TimeLeft(session);
        if (left < protocol.CurrentValue.RefreshTokenLifetime)
        {
            identity.SetRefreshTokenLifetime(left > TimeSpan.Zero ? left : TimeSpan.FromSeconds(1));
        }

        Func<string, bool> revealed = asked is null ? identity.HasScope : scope => identity.HasScope(scope) && asked.Contains(scope);
        foreach (var (type, value) in ProfileOf(member, revealed))
        {
            _ = value is bool flag ? identity.SetClaim(type, flag) : identity.SetClaim(type, (string)value);
        }

        identity.SetResources(await audiences.OfAsync(identity.GetScopes(), cancellationToken));
        identity.SetDestinations(claim => DestinationsOf(claim, revealed));
        return new ClaimsPrincipal(identity);
    }

    private static IEnumerable<string> DestinationsOf(Claim claim, Func<string, bool> revealed)
    {
        switch (claim.Type)
        {
            case Claims.Subject:
                yield return Destinations.AccessToken;
                yield return Destinations.IdentityToken;
                break;

            // The provider session, as back-channel logout tokens name it.
            case MemberSession.SessionIdClaim:
                yield return Destinations.IdentityToken;
                break;

            case Claims.AuthenticationTime or Claims.AuthenticationMethodReference or Claims.AuthenticationContextReference:
                yield return Destinations.IdentityToken;
                // APIs may need to know how strongly the caller's member authenticated.
                if (claim.Type != Claims.AuthenticationMethodReference)
                {
                    yield return Destinations.AccessToken;
                }

                break;

            case Claims.Name or Claims.PreferredUsername when revealed(Scopes.Profile):
                yield return Destinations.IdentityToken;
                break;

            case Claims.Email or Claims.EmailVerified when revealed(Scopes.Email):
                yield return Destinations.IdentityToken;
                break;
        }
    }

    /// <summary>
    /// What the granted scopes reveal about the member, for the id_token and userinfo alike:
    /// name and user ID with <c>profile</c>; with <c>email</c> the address, once confirmed by its
    /// link (an app may mail the member at it; the journey confirms every address).
    /// </summary>
    public static Dictionary<string, object> ProfileOf(Member member, Func<string, bool> granted)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        if (granted(Scopes.Profile))
        {
            claims[Claims.Name] = member.DisplayName ?? member.UserId;
            claims[Claims.PreferredUsername] = member.UserId;
        }

        if (granted(Scopes.Email) && member.EmailVerifiedAt is not null && member.Email is { } email)
        {
            claims[Claims.Email] = email;
            claims[Claims.EmailVerified] = true;
        }

        return claims;
    }
}

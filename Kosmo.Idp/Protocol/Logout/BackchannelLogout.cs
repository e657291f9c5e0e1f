using System.Security.Claims;
using System.Security.Cryptography;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0: when a member's sign-in at a relying app ends on the
/// provider (signing out, signing the other devices out, an operator's reset), every app that
/// registered a BackchannelLogoutUri gets a signed logout token naming the member (sub) and the
/// provider session (sid, as in its id_token), so its own session ends too instead of living on
/// until its cookie expires. Best effort: an app that does not answer in time is logged, never retried.
/// </summary>
public sealed class BackchannelLogout(
    IOpenIddictApplicationManager applications,
    ProtocolKeyRing keys,
    ProtocolKeyRefresher keyRefresher,
    IOptions<ProtocolOptions> protocol,
    IHttpContextAccessor http,
    IHttpClientFactory clients,
    TimeProvider time,
    ILogger<BackchannelLogout> logger)
{
    public const string HttpClientName = "backchannel-logout";
    public const string UriProperty = "backchannel_logout_uri";
    public const string EventType = "http://schemas.openid.net/event/backchannel-logout";
    public const string TokenType = "logout+jwt";

    public async Task NotifyAsync(IReadOnlyCollection<EndedGrant> ended, CancellationToken cancellationToken)
    {
        if (ended.Count == 0)
        {
            return;
        }

        var issuer = protocol.Value.Issuer?.AbsoluteUri ?? RequestIssuer();
        if (!keys.IsLoaded)
        {
            // An operator command: the server loads the ring at start, a command only when it signs.
            await keyRefresher.RefreshAsync(cancellationToken);
        }

        var deliveries = new List<Task>();
        foreach (var (applicationId, grants) in ended.GroupBy(g => g.ApplicationId).Select(g => (g.Key, g.DistinctBy(e => (e.Subject, e.SessionId)).ToList())))
        {
            var application = await applications.FindByIdAsync(applicationId, cancellationToken);
            if (application is null
                || !(await applications.GetPropertiesAsync(application, cancellationToken)).TryGetValue(UriProperty, out var property)
                || !Uri.TryCreate(property.GetString(), UriKind.Absolute, out var endpoint))
            {
                continue;
            }

            var clientId = (await applications.GetClientIdAsync(application, cancellationToken))!;
            if (issuer is null)
            {
                logger.LogWarning("No logout token for {ClientId}: Protocol:Issuer is not set and there is no request to take it from", clientId);
                continue;
            }

            deliveries.AddRange(grants.Select(grant => DeliverAsync(endpoint, clientId, () => Token(issuer, clientId, grant), cancellationToken)));
        }

        await Task.WhenAll(deliveries);
    }

    private string Token(string issuer, string clientId, EndedGrant grant)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = grant.Subject,
            [JwtRegisteredClaimNames.Jti] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["events"] = new Dictionary<string, object> { [EventType] = new Dictionary<string, object>() },
        };
        if (grant.SessionId is not null)
        {
            claims["sid"] = grant.SessionId;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = clientId,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(2),
            Claims = claims,
            TokenType = TokenType,
            SigningCredentials = keys.Signing[0],
        });
    }

    private async Task DeliverAsync(Uri endpoint, string clientId, Func<string> token, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(HttpClientName).PostAsync(endpoint,
                new FormUrlEncodedContent(new Dictionary<string, string> { ["logout_token"] = token() }), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                logger.LogInformation("Back-channel logout delivered to {ClientId}", clientId);
            }
            else
            {
                logger.LogWarning("Back-channel logout to {ClientId} refused: HTTP {Status}", clientId, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // The member's sign-out is done whatever the app does; the app's session then ends at its next refresh.
            logger.LogWarning("Back-channel logout to {ClientId} failed: {Reason}", clientId, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or SecurityTokenException)
        {
            // No signing key to sign with (a database without keys): the sign-out stands without the notice.
            logger.LogError(e, "No logout token could be made for {ClientId}", clientId);
        }
    }

    private string? RequestIssuer() =>
        http.HttpContext?.Request is { } request ? $"{request.Scheme}://{request.Host}{request.PathBase}/" : null;
}

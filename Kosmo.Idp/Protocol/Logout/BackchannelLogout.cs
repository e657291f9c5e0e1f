using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kosmo.Idp.Operations.Telemetry;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.EntityFrameworkCore;
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
/// until its cookie expires.
/// </summary>
/// <remarks>
/// Each token to send is first saved as a <see cref="LogoutNotice"/> with the sign-out, then sent
/// at once by the request that signed out; what the app does not accept is sent again by
/// <see cref="LogoutNoticeDispatcher"/> until <see cref="BackchannelLogoutOptions.RetryFor"/> has passed.
/// </remarks>
public sealed class BackchannelLogout(
    KosmoDbContext db,
    IOpenIddictApplicationManager applications,
    ProtocolKeyRing keys,
    ProtocolKeyRefresher keyRefresher,
    IOptions<ProtocolOptions> protocol,
    IOptions<BackchannelLogoutOptions> options,
    IHttpContextAccessor http,
    IHttpClientFactory clients,
    KosmoMetrics metrics,
    TimeProvider time,
    ILogger<BackchannelLogout> logger)
{
    public const string HttpClientName = "backchannel-logout";
    public const string UriProperty = "backchannel_logout_uri";
    public const string EventType = "http://schemas.openid.net/event/backchannel-logout";
    public const string TokenType = "logout+jwt";

    /// <summary>How long a sender holds the notices it took before another may take them: longer than any delivery can last.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private const int ParallelDeliveries = 8;

    private const int FailedPostsBeforePausing = 3;

    /// <summary>Notices this request saved and sends once its change is committed (<see cref="SendQueuedAsync"/>).</summary>
    private readonly List<LogoutNotice> _queued = [];

    /// <summary>Apps looked up in this scope, by OpenIddict ID: client ID and logout URI, or null when the app is gone or has no URI.</summary>
    private readonly Dictionary<string, Recipient?> _recipients = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds a logout notice to the caller's unit of work when the app registered a logout URI; the
    /// caller saves it with the sign-out and then calls <see cref="SendQueuedAsync"/>.
    /// </summary>
    public async Task QueueAsync(string applicationId, string subject, string? sessionId, CancellationToken cancellationToken)
    {
        if (await RecipientAsync(applicationId, cancellationToken) is not { } recipient)
        {
            return;
        }

        if (Issuer() is not { } issuer)
        {
            logger.LogWarning("{ClientId} was NOT told of this sign-out (no logout token): Protocol:Issuer is not set and there is no request to take it from; give operator commands the service's Protocol__Issuer", recipient.ClientId);
            return;
        }

        // Two sign-ins of one app in one session (the app asked twice) end with one token.
        if (_queued.Any(q => q.ApplicationId == applicationId && q.Subject == subject && q.SessionId == sessionId))
        {
            return;
        }

        var now = time.GetUtcNow();
        // Taken by this request from the start: the dispatcher leaves it alone while it is being sent here.
        var notice = LogoutNotice.Create(applicationId, subject, sessionId, issuer, now, firstAttemptAt: now + Lease);
        db.LogoutNotices.Add(notice);
        _queued.Add(notice);
    }

    /// <summary>
    /// Saves a notice, due at once, for each ended sign-in at an app with a logout URI, for
    /// <see cref="LogoutNoticeDispatcher"/> to send (signing everyone out: far too many to send in
    /// the operator's command). Returns how many were saved.
    /// </summary>
    public async Task<int> QueueEndedSignInsAsync(IReadOnlyCollection<EndedSignIn> signIns, CancellationToken cancellationToken)
    {
        if (signIns.Count == 0)
        {
            return 0;
        }

        var told = new List<EndedSignIn>();
        foreach (var signIn in signIns.Where(s => s.ApplicationId is not null && s.Subject is not null))
        {
            if (await RecipientAsync(signIn.ApplicationId!, cancellationToken) is not null)
            {
                told.Add(signIn);
            }
        }

        if (told.Count == 0)
        {
            return 0;
        }

        if (Issuer() is not { } issuer)
        {
            logger.LogWarning("Apps with a back-channel logout URI were NOT told of these sign-outs (no logout tokens): Protocol:Issuer is not set; give operator commands the service's Protocol__Issuer");
            return 0;
        }

        var now = time.GetUtcNow();
        var notices = told
            .Select(s => (ApplicationId: s.ApplicationId!, Subject: s.Subject!, SessionId: SessionTermination.SessionOf(s.Properties)))
            .Distinct()
            .Select(s => LogoutNotice.Create(s.ApplicationId, s.Subject, s.SessionId, issuer, now, firstAttemptAt: now))
            .ToList();
        foreach (var chunk in notices.Chunk(1000))
        {
            db.LogoutNotices.AddRange(chunk);
            await db.SaveChangesAsync(cancellationToken);
            // Thousands of rows need not stay in the change tracker once saved.
            foreach (var notice in chunk)
            {
                db.Entry(notice).State = EntityState.Detached;
            }
        }

        return notices.Count;
    }

    /// <summary>
    /// Sends the notices this request queued; called once the sign-out is committed, which stands
    /// whatever happens here: not cancelled with the request (each post is bounded by the timeout),
    /// and a failure to record the outcome leaves the notices to the dispatcher once their lease ends.
    /// </summary>
    public async Task<LogoutDeliveryReport> SendQueuedAsync()
    {
        var queued = _queued.ToList();
        _queued.Clear();
        try
        {
            return await SendAsync(queued, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Back-channel logout: the outcome of {Count} notice(s) was not recorded; they are sent again after their lease", queued.Count);
            return new LogoutDeliveryReport(0, queued.Count, 0, 0);
        }
    }

    /// <summary>
    /// Reads the protocol settings a logout token needs, so an operator command that ends sessions
    /// fails on a missing Protocol:Issuer before it changes anything, for every member alike, rather
    /// than only for a member who happens to be signed in to an app with a logout URI.
    /// </summary>
    public void EnsureSettingsAreValid() => _ = protocol.Value;

    /// <summary>
    /// Sends tracked notices (a few at a time), then records the outcome: accepted ones are deleted,
    /// the others wait for their next attempt or are given up.
    /// </summary>
    public async Task<LogoutDeliveryReport> SendAsync(IReadOnlyList<LogoutNotice> notices, CancellationToken cancellationToken)
    {
        if (notices.Count == 0)
        {
            return new LogoutDeliveryReport(0, 0, 0, 0);
        }

        if (!keys.IsLoaded)
        {
            // An operator command: the server loads the ring at start, a command only when it signs.
            await keyRefresher.RefreshAsync(cancellationToken);
        }

        var recipients = new Dictionary<LogoutNotice, Recipient?>();
        foreach (var notice in notices)
        {
            recipients[notice] = await RecipientAsync(notice.ApplicationId, cancellationToken);
        }

        var failures = new Dictionary<LogoutNotice, string?>();
        // An app that is down is not posted hundreds of tokens in one round (signing everyone out):
        // once a few of its posts failed and none succeeded, its other notices wait for their next
        // attempt unposted, so neither the app nor the other apps' notices wait on its timeouts.
        var failedPosts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(notices.Where(n => recipients[n] is not null),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelDeliveries, CancellationToken = cancellationToken },
            async (notice, ct) =>
            {
                string? failure;
                if (failedPosts.TryGetValue(notice.ApplicationId, out var failed) && failed >= FailedPostsBeforePausing)
                {
                    failure = "not posted: the app failed this round";
                }
                else
                {
                    failure = await DeliverAsync(notice, recipients[notice]!, ct);
                    // One success and the app is posted everything this round.
                    failedPosts.AddOrUpdate(notice.ApplicationId, failure is null ? int.MinValue : 1, (_, count) => failure is null ? int.MinValue : count + 1);
                }

                lock (failures)
                {
                    failures[notice] = failure;
                }
            });

        // Recorded by ID rather than through the change tracker: a row another sender already
        // finished is simply not there any more.
        var now = time.GetUtcNow();
        int delivered = 0, retrying = 0, givenUp = 0, dropped = 0;
        var finished = new List<Guid>();
        foreach (var notice in notices)
        {
            var attempts = notice.Attempts + 1;
            var next = now + Backoff(attempts);
            if (recipients[notice] is not { } recipient)
            {
                // The app was removed, or no longer has a logout URI: there is no one to tell.
                finished.Add(notice.Id);
                dropped++;
                metrics.BackchannelLogout("dropped");
            }
            else if (failures[notice] is not { } failure)
            {
                finished.Add(notice.Id);
                delivered++;
                metrics.BackchannelLogout("delivered");
            }
            else if (next > notice.CreatedAt + options.Value.RetryFor)
            {
                logger.LogWarning("Back-channel logout to {ClientId} given up after {Attempts} attempt(s) since {CreatedAt:u}: {Failure}",
                    recipient.ClientId, attempts, notice.CreatedAt, failure);
                finished.Add(notice.Id);
                givenUp++;
                metrics.BackchannelLogout("given_up");
            }
            else
            {
                await db.LogoutNotices.Where(n => n.Id == notice.Id).ExecuteUpdateAsync(set => set
                    .SetProperty(n => n.Attempts, attempts)
                    .SetProperty(n => n.NextAttemptAt, next)
                    .SetProperty(n => n.LastFailure, failure), CancellationToken.None);
                retrying++;
                metrics.BackchannelLogout("retrying");
            }
        }

        foreach (var chunk in finished.Chunk(1000))
        {
            await db.LogoutNotices.Where(n => chunk.Contains(n.Id)).ExecuteDeleteAsync(CancellationToken.None);
        }

        foreach (var notice in notices)
        {
            db.Entry(notice).State = EntityState.Detached;
        }

        var report = new LogoutDeliveryReport(delivered, retrying, givenUp, dropped);
        logger.LogInformation("Back-channel logout: {Delivered} delivered, {Retrying} to be sent again, {GivenUp} given up, {Dropped} for apps without a logout URI",
            delivered, retrying, givenUp, dropped);
        return report;
    }

    /// <summary>30 s after the first failure, doubling, at most every 30 minutes.</summary>
    public static TimeSpan Backoff(int attempts) =>
        Shared.RetryWait.Doubling(TimeSpan.FromSeconds(30), attempts, TimeSpan.FromMinutes(30));

    /// <summary>Returns null when the app accepted the token, else why not (never the app's own words).</summary>
    private async Task<string?> DeliverAsync(LogoutNotice notice, Recipient recipient, CancellationToken cancellationToken)
    {
        try
        {
            var token = Token(notice, recipient.ClientId);
            using var response = await clients.CreateClient(HttpClientName).PostAsync(recipient.Endpoint,
                new FormUrlEncodedContent(new Dictionary<string, string> { ["logout_token"] = token }), cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                logger.LogDebug("Back-channel logout delivered to {ClientId}", recipient.ClientId);
                return null;
            }

            logger.LogDebug("Back-channel logout to {ClientId} refused: HTTP {Status}", recipient.ClientId, (int)response.StatusCode);
            return $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug("Back-channel logout to {ClientId} failed: {Reason}", recipient.ClientId, e.Message);
            return e is TaskCanceledException ? "no answer in time" : "no connection";
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Anything else (no signing key in a database without keys, a URI the client cannot post to)
            // fails this notice only; the member's sign-out stands, and the notice is tried again.
            logger.LogError(e, "No logout token could be sent to {ClientId}", recipient.ClientId);
            var failure = "not sent: " + e.GetType().Name;
            return failure.Length <= 100 ? failure : failure[..100];
        }
    }

    private string Token(LogoutNotice notice, string clientId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = notice.Subject,
            // A new one for every attempt: an app that keeps the IDs it saw to refuse replays still accepts a retry.
            [JwtRegisteredClaimNames.Jti] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
            ["events"] = new Dictionary<string, object> { [EventType] = new Dictionary<string, object>() },
        };
        if (notice.SessionId is not null)
        {
            claims["sid"] = notice.SessionId;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = notice.Issuer,
            Audience = clientId,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(2),
            Claims = claims,
            TokenType = TokenType,
            SigningCredentials = keys.Signing[0],
        });
    }

    private async Task<Recipient?> RecipientAsync(string applicationId, CancellationToken cancellationToken)
    {
        if (_recipients.TryGetValue(applicationId, out var known))
        {
            return known;
        }

        Recipient? recipient = null;
        if (await applications.FindByIdAsync(applicationId, cancellationToken) is { } application
            && (await applications.GetPropertiesAsync(application, cancellationToken)).TryGetValue(UriProperty, out var property)
            && Uri.TryCreate(property.GetString(), UriKind.Absolute, out var endpoint))
        {
            recipient = new Recipient((await applications.GetClientIdAsync(application, cancellationToken))!, endpoint);
        }

        return _recipients[applicationId] = recipient;
    }

    private string? Issuer() => protocol.Value.IssuerFor(http.HttpContext?.Request)?.AbsoluteUri;

    private sealed record Recipient(string ClientId, Uri Endpoint);
}

/// <summary>What one round of sending did with its notices.</summary>
public sealed record LogoutDeliveryReport(int Delivered, int Retrying, int GivenUp, int Dropped)
{
    public int Total => Delivered + Retrying + GivenUp + Dropped;
}

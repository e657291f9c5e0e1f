namespace Kosmo.Idp.Protocol.Logout;

/// <summary>
/// A logout token still to be delivered: a relying app's sign-in ended on the provider, and the app
/// registered a back-channel logout URI. Saved with the sign-out itself, so an app that is down
/// (being deployed) is told once it is back, and a replica that stops mid-delivery loses nothing.
/// Deleted once the app accepts it, or when <see cref="BackchannelLogoutOptions.RetryFor"/> has passed.
/// </summary>
public sealed class LogoutNotice
{
    public Guid Id { get; set; }

    public static LogoutNotice Create(string applicationId, string subject, string? sessionId, string issuer, DateTimeOffset now, DateTimeOffset firstAttemptAt) =>
        new()
        {
            Id = Guid.CreateVersion7(now),
            ApplicationId = applicationId,
            Subject = subject,
            SessionId = sessionId,
            Issuer = issuer,
            CreatedAt = now,
            NextAttemptAt = firstAttemptAt,
        };

    /// <summary>OpenIddict's ID of the relying app; the app's client ID and URI are looked up when sending, so a changed URI is used.</summary>
    public required string ApplicationId { get; set; }

    /// <summary>The member, as the app knows them (the tokens' <c>sub</c>).</summary>
    public required string Subject { get; set; }

    /// <summary>The provider session of the app's id_token (<c>sid</c>), when the sign-in was made in one.</summary>
    public string? SessionId { get; set; }

    /// <summary>The issuer the app's tokens carry, taken when the sign-out happened (a background sender has no request to take it from).</summary>
    public required string Issuer { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public int Attempts { get; set; }

    /// <summary>
    /// Not before this time. Also a lease: the request that saves a notice sends it at once and sets
    /// this a little ahead (<see cref="BackchannelLogout.Lease"/>), so the dispatcher, which only
    /// takes notices that are due, leaves it alone meanwhile.
    /// </summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Why the last attempt failed (an HTTP status or "no answer"), for operators; never anything the app sent back.</summary>
    public string? LastFailure { get; set; }
}

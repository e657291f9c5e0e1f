using System.ComponentModel.DataAnnotations;

namespace Kosmo.Idp.Protocol;

public sealed class ProtocolOptions
{
    public const string Section = "Protocol";

    /// <summary>
    /// The public URL of this provider (the "iss" of every token). Required in Production,
    /// where it would otherwise be taken from the request's Host header.
    /// </summary>
    public Uri? Issuer { get; set; }

    /// <summary>
    /// Protocol requests over plain http are refused (OpenIddict's transport rule). Off only for
    /// development and tests: behind a TLS proxy the forwarded scheme is https (Proxy settings).
    /// </summary>
    public bool RequireHttps { get; set; } = true;

    /// <summary>
    /// The issuer, or where none is configured (Development) the address the request came to, as
    /// OpenIddict then takes it; null without either (an operator command without Protocol:Issuer).
    /// </summary>
    public Uri? IssuerFor(HttpRequest? request) =>
        Issuer ?? (request is null ? null : new Uri($"{request.Scheme}://{request.Host}{request.PathBase}/"));

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan IdentityTokenLifetime { get; set; } = TimeSpan.FromMinutes(20);

    [Range(typeof(TimeSpan), "00:00:30", "00:10:00")]
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Sliding: each refresh issues a new token valid this long.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long a signed token can remain in use; a superseded key stays published this long.</summary>
    public TimeSpan LongestTokenLifetime =>
        new[] { AccessTokenLifetime, IdentityTokenLifetime, AuthorizationCodeLifetime, RefreshTokenLifetime }.Max();
}

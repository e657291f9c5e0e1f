namespace Kosmo.Idp.Protocol.Clients;

/// <summary>The relying apps declared in configuration (section "RelyingApps"), synced into the store at start.</summary>
public sealed class RelyingAppOptions
{
    public const string Section = "RelyingApps";

    public List<RelyingApp> Apps { get; set; } = [];
}

public sealed class RelyingApp
{
    /// <summary>2–64 characters of a–z, 0–9, '.', '_' and '-' (checked by <see cref="RelyingAppValidation"/>).</summary>
    public string ClientId { get; set; } = "";

    public string DisplayName { get; set; } = "";

    /// <summary>The name English pages show (the member's services tiles); without it they show <see cref="DisplayName"/>.</summary>
    public string? EnglishDisplayName { get; set; }

    /// <summary>Confidential apps (a server holds the secret) or public ones (browser or native apps, PKCE only).</summary>
    public RelyingAppKind Kind { get; set; } = RelyingAppKind.Confidential;

    /// <summary>For confidential apps: a generated value of at least 32 characters, supplied from a secret store.</summary>
    public string? ClientSecret { get; set; }

    public List<Uri> RedirectUris { get; set; } = [];

    public List<Uri> PostLogoutRedirectUris { get; set; } = [];

    /// <summary>Scopes beyond openid the app may ask for (profile, email, offline_access, or an API scope).</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>Lets a confidential app get tokens for itself (service to service) with client credentials.</summary>
    public bool AllowClientCredentials { get; set; }

    /// <summary>
    /// Where the provider posts a logout token (OpenID Connect Back-Channel Logout) when a member's
    /// sign-in at this app ends on the provider. Optional.
    /// </summary>
    public Uri? BackchannelLogoutUri { get; set; }

    /// <summary>Where the member's services page links to.</summary>
    public Uri? HomeUrl { get; set; }
}

public enum RelyingAppKind
{
    Confidential,
    Public,
}

namespace Kosmo.Idp.DemoApp;

/// <summary>
/// A small relying app hosted beside the provider for Development: it signs in through the real
/// code flow (PKCE, state, iss check, back-channel token request) so a newcomer can watch one
/// happen. Refused outside Development and Testing.
/// </summary>
public sealed class DemoAppOptions
{
    public const string Section = "DemoApp";
    public const string Backchannel = "demo-app-backchannel";

    public bool Enabled { get; set; }

    /// <summary>A configured relying app whose redirect URIs include {base}/demo/callback.</summary>
    public string ClientId { get; set; } = "medical-expense";
}

namespace Kosmo.Idp.Protocol.Logout;

/// <summary>An authorization just revoked in one statement (signing everyone out): the app, the member, and its stored properties (with the provider session).</summary>
public sealed class EndedSignIn
{
    public string? ApplicationId { get; set; }

    public string? Subject { get; set; }

    public string? Properties { get; set; }
}

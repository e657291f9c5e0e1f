namespace Kosmo.Idp.Protocol.Logout;

/// <summary>A relying app's sign-in that just ended: the app (OpenIddict's application ID), the member, and the provider session it was made in.</summary>
public sealed record EndedGrant(string ApplicationId, string Subject, string? SessionId);

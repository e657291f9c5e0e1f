namespace Kosmo.Idp.Protocol;

public static class ProtocolPaths
{
    public const string Authorize = "connect/authorize";
    public const string Token = "connect/token";
    public const string UserInfo = "connect/userinfo";
    public const string EndSession = "connect/endsession";
    public const string Revoke = "connect/revoke";
    public const string Introspect = "connect/introspect";
    public const string Jwks = ".well-known/jwks";

    /// <summary>
    /// Endpoints whose answers describe a token or a member (userinfo's profile, introspection's
    /// verdict): never to be kept by a cache (RFC 6749 5.1 asks it of the token endpoint already).
    /// </summary>
    public static bool AnswersAboutATokenOrMember(PathString path) =>
        path.StartsWithSegments("/" + Token) || path.StartsWithSegments("/" + UserInfo)
        || path.StartsWithSegments("/" + Revoke) || path.StartsWithSegments("/" + Introspect);

    /// <summary>Endpoints answered to programs, not people: their errors stay OAuth JSON, never an HTML page.</summary>
    public static bool IsMachineEndpoint(PathString path) =>
        AnswersAboutATokenOrMember(path) || path.StartsWithSegments("/.well-known") || path.StartsWithSegments("/health");
}

namespace Kosmo.Idp.Journey;

/// <summary>RFC 8176 "amr" values and the "acr" levels this provider asserts.</summary>
public static class AuthenticationMethods
{
    public const string Password = "pwd";
    public const string OneTimePassword = "otp";
    public const string MultiFactor = "mfa";

    /// <summary>Password only.</summary>
    public const string AcrPassword = "urn:kosmo:acr:pwd";

    /// <summary>Password and a second factor: a mailed code or a recovery code.</summary>
    public const string AcrMultiFactor = "urn:kosmo:acr:mfa";

    /// <summary>
    /// Password and a code from an authenticator app. Relying apps ask for it with acr_values:
    /// a mailed code is weaker (NIST SP 800-63B does not accept email as an authenticator).
    /// </summary>
    public const string AcrApp = "urn:kosmo:acr:mfa:app";

    /// <summary>Which second factor completed the session (kept in the session, not a standard claim).</summary>
    public const string ByEmail = "email";
    public const string ByApp = "app";
    public const string ByRecoveryCode = "recovery";

    public static string AcrFor(MemberSession session) =>
        session.SecondFactor == ByApp ? AcrApp
        : session.Methods.Contains(MultiFactor) ? AcrMultiFactor
        : AcrPassword;
}

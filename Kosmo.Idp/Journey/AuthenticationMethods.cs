namespace Kosmo.Idp.Journey;

/// <summary>RFC 8176 "amr" values and the "acr" levels this provider asserts.</summary>
public static class AuthenticationMethods
{
    public const string Password = "pwd";
    public const string OneTimePassword = "otp";
    public const string MultiFactor = "mfa";

    /// <summary>Password only.</summary>
    public const string AcrPassword = "urn:kosmo:acr:pwd";

    /// <summary>Password and a second factor.</summary>
    public const string AcrMultiFactor = "urn:kosmo:acr:mfa";

    public static string AcrFor(IReadOnlyCollection<string> methods) =>
        methods.Contains(MultiFactor) ? AcrMultiFactor : AcrPassword;
}

namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// Production's safety checks (an https issuer, PostgreSQL, a protected key ring, mail through
/// SendGrid) hold in every environment but a developer's machine and the test runs: a deployment
/// named "Staging" serves real browsers too, and must not build its links from a Host header.
/// </summary>
public static class HostEnvironments
{
    public const string Testing = "Testing";

    public static bool IsDeployed(this IHostEnvironment environment) =>
        !environment.IsDevelopment() && !environment.IsEnvironment(Testing);
}

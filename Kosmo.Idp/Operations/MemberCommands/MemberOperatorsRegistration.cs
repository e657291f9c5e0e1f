using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Operations.Audit;

// In the Operations namespace, which the composition root imports: one line wires it in.
namespace Kosmo.Idp.Operations;

public static class MemberOperatorsRegistration
{
    /// <summary>The services behind the operator commands `members show|unlock|reset-mfa|reset-password` and `audit`.</summary>
    public static IServiceCollection AddMemberOperators(this IServiceCollection services)
    {
        services.AddScoped<MemberReport>();
        services.AddScoped<MemberAdministration>();
        services.AddScoped<AuditQuery>();
        return services;
    }
}

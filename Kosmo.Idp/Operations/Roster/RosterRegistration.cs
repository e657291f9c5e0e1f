using Kosmo.Idp.Operations.Roster;

// In the Operations namespace, which the composition root imports: the roster import is wired in
// with one line there.
namespace Kosmo.Idp.Operations;

public static class RosterRegistration
{
    public static IServiceCollection AddRosterImport(this IServiceCollection services)
    {
        services.AddOptions<RosterOptions>()
            .BindConfiguration(RosterOptions.Section)
            // A mistyped year (0026-03-01) would quietly switch every member to the other kind of initial password.
            .Validate(o => o.RulePasswordJoinedBefore.Year is >= 1900 and <= 2100, "Roster:RulePasswordJoinedBefore must be a date between 1900 and 2100 (yyyy-MM-dd).")
            .ValidateOnStart();
        services.AddSingleton<InitialPasswords>();
        services.AddScoped<RosterImporter>();
        return services;
    }
}

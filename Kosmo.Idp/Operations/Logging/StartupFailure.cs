using Serilog;

namespace Kosmo.Idp.Operations.Logging;

/// <summary>
/// Settings refused while the service is being put together (no Data Protection certificate in
/// Production, an unreadable one, …) fail before the service's own logging exists: the reason
/// would only reach stderr, outside the log collector. Written here in the log's own format
/// (compact JSON outside Development); the process then stops with exit code 1.
/// </summary>
public static class StartupFailure
{
    public static void Log(Exception failure)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT");
        using var logger = LoggingRegistration.WriteToConsole(
            new LoggerConfiguration(), string.Equals(environment, "Development", StringComparison.OrdinalIgnoreCase)).CreateLogger();
        // A refused setting is explained by its message; anything else keeps its stack trace.
        logger.Fatal(IsRefusedSetting(failure) ? null : failure, "The service could not start: {Reason}", Explain(failure));
    }

    /// <summary>Each refusal in one line, several (an AggregateException) one after the other.</summary>
    public static string Explain(Exception failure) =>
        string.Join(" ", (failure is AggregateException many ? many.InnerExceptions : [failure]).Select(Describe));

    /// <summary>
    /// Settings refused by their checks (several at once arrive as one AggregateException), explained
    /// by their messages alone; anything else is a fault with a stack trace worth keeping.
    /// </summary>
    public static bool IsRefusedSetting(Exception failure) =>
        (failure is AggregateException many ? many.InnerExceptions : [failure])
            .All(f => f is Startup.SettingRefusedException or Microsoft.Extensions.Options.OptionsValidationException || IsUnreadableValue(f));

    /// <summary>
    /// A value the configuration binder could not convert ("Failed to convert configuration value
    /// 'maybe' at 'PasswordPolicy:RequireLetter' to type 'System.Boolean'"): its message names the
    /// setting, like any other refusal.
    /// </summary>
    private static bool IsUnreadableValue(Exception failure) =>
        failure is InvalidOperationException { TargetSite.DeclaringType: var thrower }
        && thrower == typeof(Microsoft.Extensions.Configuration.ConfigurationBinder);

    /// <summary>
    /// A refused options class is named by its settings section too ("Session: … 'IdleTimeout' …"),
    /// since that, not the class, is what an operator sets. A database failure is named as one,
    /// with the driver's reason, where EF Core's own message speaks only of "a transient failure":
    /// unreachable (no answer: host, port, network) or refusing (it answered: password, database name).
    /// </summary>
    private static string Describe(Exception failure)
    {
        if (failure is Microsoft.Extensions.Options.OptionsValidationException { OptionsType: var type }
            && type.GetField("Section", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null) is string section)
        {
            return $"settings section {section}: {failure.Message}";
        }

        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException database)
            {
                return database.SqlState is null
                    ? $"the database (ConnectionStrings:Kosmo) cannot be reached: {failure.GetBaseException().Message}"
                    : $"the database (ConnectionStrings:Kosmo) refused: {database.Message}";
            }
        }

        return failure.Message;
    }
}

using Kosmo.Idp.Operations.Cli;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// Runs an operator command through the binary's own entry point, configured through the
/// environment as an operator's shell would, and captures what it prints. Process-wide state:
/// fixtures that use it are [NonParallelizable].
/// </summary>
public static class OperatorShell
{
    public static Task<(int Exit, string Output, string Errors)> RunAsync(string connectionString, params string[] args) =>
        RunAsync(connectionString, new Dictionary<string, string?>(), args);

    /// <summary>With more environment variables, e.g. <see cref="MailThrough"/>.</summary>
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(
        string connectionString, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var variables = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Kosmo"] = connectionString,
            ["DOTNET_ENVIRONMENT"] = "Testing",
            // Settings the service would refuse fail `migrate`: mail has to be set up, as in a deployment.
            ["Mail__Delivery"] = "Folder",
            ["Mail__Folder"] = Path.Combine(Path.GetTempPath(), "kosmo-operator-mail"),
        };
        foreach (var (key, value) in environment)
        {
            variables[key] = value;
        }

        var previous = variables.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        var (originalOut, originalError) = (Console.Out, Console.Error);
        var output = new StringWriter();
        var errors = new StringWriter();
        foreach (var (key, value) in variables)
        {
            Environment.SetEnvironmentVariable(key, value);
        }

        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            var exit = await KosmoCommandLine.RunAsync(args);
            return (exit, output.ToString(), errors.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
            foreach (var (key, value) in previous)
            {
                Environment.SetEnvironmentVariable(key, value);
            }
        }
    }

    /// <summary>The environment that sends the command's mails to <paramref name="catcher"/> through the real SendGrid client.</summary>
    public static IReadOnlyDictionary<string, string?> MailThrough(MailCatcher catcher) => new Dictionary<string, string?>
    {
        ["Mail__Delivery"] = "SendGrid",
        ["Mail__SendGrid__ApiKey"] = MailCatcher.ApiKey,
        ["Mail__SendGrid__Host"] = catcher.Url.ToString(),
    };
}

using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol.Apis;

/// <summary>Refuses to start on APIs that would make tokens ambiguous.</summary>
public sealed partial class ApiOptionsValidation : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var api in options.Apis)
        {
            if (!Word().IsMatch(api.Name))
            {
                failures.Add($"Apis: the name \"{api.Name}\" must be lower-case letters, digits and . _ : / - (it is the tokens' aud).");
            }

            if (string.IsNullOrWhiteSpace(api.DisplayName))
            {
                failures.Add($"Apis: {api.Name} needs a DisplayName.");
            }

            if (api.Scopes.Count == 0)
            {
                failures.Add($"Apis: {api.Name} lists no scope.");
            }

            foreach (var scope in api.Scopes)
            {
                if (ProtocolRegistration.StandardScopes.Contains(scope, StringComparer.Ordinal) || string.IsNullOrWhiteSpace(scope) || scope.Contains(' ', StringComparison.Ordinal))
                {
                    failures.Add($"Apis: {api.Name} lists the scope \"{scope}\", which is reserved or not a single word.");
                }
                else if (!seen.TryAdd(scope, api.Name))
                {
                    failures.Add($"Apis: the scope {scope} belongs to both {seen[scope]} and {api.Name}.");
                }
            }
        }

        if (options.Apis.GroupBy(a => a.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            failures.Add($"Apis: {twice.Key} is declared twice.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._:/-]{1,127}$")]
    private static partial Regex Word();
}

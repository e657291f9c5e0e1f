using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol.Clients;

internal sealed class RelyingAppValidation(IHostEnvironment environment) : IValidateOptions<RelyingAppOptions>
{
    private const int MinimumSecretLength = 32;

    public ValidateOptionsResult Validate(string? name, RelyingAppOptions options)
    {
        var failures = new List<string>();
        foreach (var group in options.Apps.GroupBy(a => a.ClientId).Where(g => g.Count() > 1))
        {
            failures.Add($"RelyingApps: client id '{group.Key}' is declared more than once.");
        }

        foreach (var app in options.Apps)
        {
            var at = $"RelyingApps '{app.ClientId}'";
            if (string.IsNullOrWhiteSpace(app.ClientId) || string.IsNullOrWhiteSpace(app.DisplayName))
            {
                failures.Add($"{at}: ClientId and DisplayName are required.");
            }

            if (app.Kind == RelyingAppKind.Confidential && string.IsNullOrEmpty(app.ClientSecret))
            {
                failures.Add($"{at}: a confidential app needs ClientSecret.");
            }

            if (app.Kind == RelyingAppKind.Confidential && !environment.IsDevelopment() && app.ClientSecret?.Length < MinimumSecretLength)
            {
                failures.Add($"{at}: ClientSecret must be a generated value of at least {MinimumSecretLength} characters.");
            }

            if (app.Kind == RelyingAppKind.Public && (app.ClientSecret is not null || app.AllowClientCredentials))
            {
                failures.Add($"{at}: a public app has no secret and cannot use client credentials.");
            }

            foreach (var uri in app.RedirectUris.Concat(app.PostLogoutRedirectUris).Concat(app.BackchannelLogoutUri is { } logout ? [logout] : []))
            {
                if (!uri.IsAbsoluteUri || !string.IsNullOrEmpty(uri.Fragment))
                {
                    failures.Add($"{at}: '{uri}' must be an absolute URL without fragment.");
                }
                else if (uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback && !environment.IsDevelopment())
                {
                    failures.Add($"{at}: '{uri}' must use https.");
                }
            }

            // The home URL is a link on members' pages (the service tiles): a web address, never javascript: or data:.
            if (app.HomeUrl is { } home && !(home.IsAbsoluteUri && (home.Scheme == Uri.UriSchemeHttps
                || (home.Scheme == Uri.UriSchemeHttp && (home.IsLoopback || environment.IsDevelopment())))))
            {
                failures.Add($"{at}: the home URL '{home}' must be an https address.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

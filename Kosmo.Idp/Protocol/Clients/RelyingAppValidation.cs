using System.Text.RegularExpressions;
using Kosmo.Idp.Protocol.Apis;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Protocol.Clients;

/// <summary>
/// The rules every relying app follows, whether configuration declares it or an operator adds it:
/// checked at start (the service refuses to run with a bad app) and by the `clients` commands.
/// </summary>
internal sealed partial class RelyingAppValidation(IHostEnvironment environment, IOptions<ApiOptions> apis) : IValidateOptions<RelyingAppOptions>
{
    private const int MinimumSecretLength = 32;

    public const string ClientIdRule = "a client id is 2–64 characters of a–z, 0–9, '.', '_' and '-', starting with a letter or digit.";

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
                failures.Add(string.IsNullOrWhiteSpace(app.ClientId) ? $"{at}: ClientId is required." : $"{at}: DisplayName is required.");
            }
            else if (!ClientIdShape().IsMatch(app.ClientId))
            {
                failures.Add($"{at}: {ClientIdRule}");
            }
            else if (Guid.TryParse(app.ClientId, out _))
            {
                // A client-credentials token's sub is its client id; a member's sub is a GUID: an API must never mistake one for the other.
                failures.Add($"{at}: a client id must not be a GUID, which is what a member's subject (sub) looks like.");
            }

            if (app.EnglishDisplayName is { } english && string.IsNullOrWhiteSpace(english))
            {
                failures.Add($"{at}: EnglishDisplayName, when given, must not be blank.");
            }

            // Shown to members on the account page and printed, tab-separated, by `clients list`: a control
            // character would act in a terminal, a tab shift the columns, an invisible one hide in a name.
            foreach (var (setting, shown) in new[] { ("DisplayName", app.DisplayName), ("EnglishDisplayName", app.EnglishDisplayName) })
            {
                if (!string.IsNullOrWhiteSpace(shown) && !Shared.PlainText.IsVisibleLine(shown))
                {
                    failures.Add($"{at}: {setting} must be one line of visible characters (no tab, line break, control or invisible character).");
                }
            }

            // A mistyped scope (offline-access) would otherwise only show when the app signs in.
            var known = ProtocolRegistration.StandardScopes.Concat(apis.Value.Apis.SelectMany(api => api.Scopes)).ToHashSet(StringComparer.Ordinal);
            foreach (var unknown in app.Scopes.Where(scope => !known.Contains(scope)).Distinct(StringComparer.Ordinal))
            {
                failures.Add($"{at}: unknown scope '{unknown}' (known: {string.Join(", ", known.Order(StringComparer.Ordinal))}).");
            }

            if (app.Kind == RelyingAppKind.Confidential && string.IsNullOrEmpty(app.ClientSecret))
            {
                failures.Add($"{at}: a confidential app needs ClientSecret.");
            }

            if (app.Kind == RelyingAppKind.Confidential && !environment.IsDevelopment() && app.ClientSecret?.Length < MinimumSecretLength)
            {
                failures.Add($"{at}: ClientSecret must be a generated value of at least {MinimumSecretLength} characters.");
            }

            // A public app exists to sign members in. A confidential one may be a service (client
            // credentials) or an API that only introspects tokens: neither has a redirect URI.
            if (app.RedirectUris.Count == 0 && app.Kind == RelyingAppKind.Public)
            {
                failures.Add($"{at}: a public app signs members in, so it needs a redirect URI.");
            }

            if (app.Kind == RelyingAppKind.Public && (!string.IsNullOrEmpty(app.ClientSecret) || app.AllowClientCredentials))
            {
                failures.Add($"{at}: a public app has no secret and cannot use client credentials.");
            }

            // An empty entry binds as null; EveryListEntryBound names it by its key.
            foreach (var uri in app.RedirectUris.Concat(app.PostLogoutRedirectUris).Concat(app.BackchannelLogoutUri is { } logout ? [logout] : []).OfType<Uri>())
            {
                if (!uri.IsAbsoluteUri || !string.IsNullOrEmpty(uri.Fragment))
                {
                    failures.Add($"{at}: '{uri}' must be an absolute URL without fragment.");
                }
                else if (!IsWebAddress(uri))
                {
                    failures.Add($"{at}: '{uri}' must use https.");
                }
                else if (uri.UserInfo.Length > 0)
                {
                    // A password in a URL would be stored, listed, logged and audited with it.
                    failures.Add($"{at}: '{WithoutCredentials(uri)}' must not carry a user name or password.");
                }
            }

            // The home URL is a link on members' pages (the service tiles): a web address, never javascript: or data:.
            if (app.HomeUrl is { } home && !(home.IsAbsoluteUri && IsWebAddress(home)))
            {
                failures.Add($"{at}: the home URL '{home}' must be an https address.");
            }
            else if (app.HomeUrl is { UserInfo.Length: > 0 } withUser)
            {
                failures.Add($"{at}: the home URL '{WithoutCredentials(withUser)}' must not carry a user name or password.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// https, or plain http on this machine or in Development. Every file: URL counts as loopback
    /// (and a relative path given on the command line becomes one), so the scheme is checked first.
    /// </summary>
    private bool IsWebAddress(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || environment.IsDevelopment()));

    /// <summary>The URL as the refusal names it: the password it carries is not repeated.</summary>
    private static string WithoutCredentials(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped);

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex ClientIdShape();
}

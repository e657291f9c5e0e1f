using System.CommandLine;
using Kosmo.Idp.Operations.MemberCommands;
using Kosmo.Idp.Protocol.Clients;

namespace Kosmo.Idp.Operations.Cli;

/// <summary>`clients list|add|update|remove`: relying apps registered by an operator (see <see cref="ClientAdministration"/>); `clients logout-notices`: what their back-channel logout URIs have not accepted yet.</summary>
internal static class ClientCommands
{
    public static Command Create()
    {
        var clients = new Command("clients", "Relying apps registered by operators (apps in configuration are listed, but changed in configuration).");
        clients.Subcommands.Add(List());
        clients.Subcommands.Add(Add());
        clients.Subcommands.Add(Update());
        clients.Subcommands.Add(Remove());
        clients.Subcommands.Add(LogoutNotices());
        return clients;
    }

    private static Command List()
    {
        var list = new Command("list", "List every relying app: client id, kind, who manages it, name, home URL, redirect URIs, scopes, client credentials.");
        list.SetAction((_, cancellationToken) => WithKeysAsync(async services =>
        {
            var clients = await services.GetRequiredService<ClientAdministration>().ListAsync(cancellationToken);
            if (clients.Count == 0)
            {
                // On stderr: a script reading the list still reads an empty one.
                Console.Error.WriteLine("No relying apps are registered yet. Apps under RelyingApps in the settings are registered when the service starts; add others with `clients add`.");
            }

            foreach (var client in clients)
            {
                Console.WriteLine(string.Join('\t', client.ClientId, client.Kind, client.ManagedBy, Shared.PlainText.Printable(client.DisplayName), client.HomeUrl ?? "-",
                    client.RedirectUris.Count > 0 ? string.Join(' ', client.RedirectUris) : "-", client.Scopes.Count > 0 ? string.Join(' ', client.Scopes) : "-",
                    client.ClientCredentials ? "client credentials" : "-"));
            }

            return 0;
        }));
        return list;
    }

    private static Command LogoutNotices()
    {
        var notices = new Command("logout-notices",
            "Logout tokens waiting to be accepted by a relying app's back-channel logout URI: per app, how many, since when, the last failure.");
        notices.SetAction((_, cancellationToken) => KosmoCommandLine.WithServicesAsync(async services =>
        {
            var waiting = await services.GetRequiredService<Protocol.Logout.LogoutNoticeReport>().ByAppAsync(cancellationToken);
            if (waiting.Count == 0)
            {
                Console.WriteLine("No logout tokens are waiting: every app accepted what it was sent.");
                return 0;
            }

            Console.WriteLine("client id\twaiting\toldest sign-out\tnext attempt\tmost attempts\tlast failure");
            foreach (var app in waiting)
            {
                Console.WriteLine(string.Join('\t', app.ClientId, app.Count, OperatorText.Time(app.OldestSignOut),
                    OperatorText.Time(app.NextAttemptAt), app.MostAttempts, app.LastFailure ?? "-"));
            }

            return 0;
        }));
        return notices;
    }

    private static Command Add()
    {
        var clientId = new Argument<string>("client-id") { Description = "The app's client id, e.g. medical-expense." };
        var name = new Option<string>("--name") { Description = "Display name (the tile's label).", Required = true };
        var englishName = new Option<string?>("--english-name") { Description = "The tile's label on English pages (else --name)." };
        var kind = new Option<RelyingAppKind>("--kind")
        {
            Description = "Confidential (a server holds the secret) or Public (browser app, PKCE only).",
            DefaultValueFactory = _ => RelyingAppKind.Confidential,
            CustomParser = result =>
            {
                if (Enum.TryParse<RelyingAppKind>(result.Tokens[^1].Value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
                {
                    return parsed;
                }

                result.AddError($"--kind '{result.Tokens[^1].Value}' is not a kind of app: Confidential or Public.");
                return default;
            },
        };
        var redirect = new Option<string[]>("--redirect-uri")
        {
            Description = "Redirect URI (repeat for several); matched exactly. Not needed for a service that only uses --client-credentials.",
            AllowMultipleArgumentsPerToken = true,
        };
        var postLogout = new Option<string[]>("--post-logout-uri") { Description = "Post-logout redirect URI (repeat for several).", AllowMultipleArgumentsPerToken = true };
        var scope = new Option<string[]>("--scope") { Description = "Scopes besides openid: profile, email, offline_access, or an API's scope (Apis).", AllowMultipleArgumentsPerToken = true };
        var home = new Option<string?>("--home-url") { Description = "The app's top page, shown as a tile to members." };
        var logout = BackchannelLogoutOption();
        var clientCredentials = new Option<bool>("--client-credentials") { Description = "Allow service-to-service tokens (confidential apps only)." };
        var add = new Command("add", "Register a relying app. A confidential app's secret is generated and shown once.")
        {
            clientId, name, englishName, kind, redirect, postLogout, scope, home, logout, clientCredentials,
        };
        add.SetAction((parse, cancellationToken) => WithKeysAsync(async services =>
        {
            if (!TryUris(parse.GetValue(redirect), out var redirects) || !TryUris(parse.GetValue(postLogout), out var postLogouts)
                || !TryUri(parse.GetValue(home), out var homeUrl) || !TryUri(parse.GetValue(logout), out var logoutUri))
            {
                return 2;
            }

            var app = new RelyingApp
            {
                ClientId = parse.GetValue(clientId)!,
                DisplayName = parse.GetValue(name)!,
                EnglishDisplayName = parse.GetValue(englishName),
                Kind = parse.GetValue(kind),
                RedirectUris = redirects,
                PostLogoutRedirectUris = postLogouts,
                Scopes = [.. parse.GetValue(scope) ?? []],
                HomeUrl = homeUrl,
                BackchannelLogoutUri = logoutUri,
                AllowClientCredentials = parse.GetValue(clientCredentials),
            };
            return Report(await services.GetRequiredService<ClientAdministration>().AddAsync(app, cancellationToken));
        }));
        return add;
    }

    private static Command Update()
    {
        var clientId = new Argument<string>("client-id") { Description = "The app to change (registered with `clients add`)." };
        var name = new Option<string?>("--name") { Description = "New display name." };
        var englishName = new Option<string?>("--english-name") { Description = "New label on English pages; \"\" removes it (English pages show the display name)." };
        var redirect = new Option<string[]>("--redirect-uri") { Description = "Replace the redirect URIs with these.", AllowMultipleArgumentsPerToken = true };
        var postLogout = new Option<string[]>("--post-logout-uri") { Description = "Replace the post-logout URIs with these; \"\" removes them all.", AllowMultipleArgumentsPerToken = true };
        var scope = new Option<string[]>("--scope")
        {
            Description = "Replace the scopes besides openid with these (`--scope openid` for none). A scope taken away revokes the app's grants and tokens.",
            AllowMultipleArgumentsPerToken = true,
        };
        // Read as a word, not a flag: a boolean option takes only a word that reads as one, so "maybe"
        // was reported as an unrecognized argument rather than as a wrong value for this option.
        var clientCredentials = new Option<string?>("--client-credentials")
        {
            Description = "true or false: allow service-to-service tokens (confidential apps only). false revokes the app's grants and tokens.",
        };
        clientCredentials.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } word && !bool.TryParse(word, out _))
            {
                result.AddError($"--client-credentials takes true or false, not '{word}'.");
            }
        });
        var home = new Option<string?>("--home-url") { Description = "New home URL; \"\" removes it (no tile)." };
        var logout = BackchannelLogoutOption();
        logout.Description += " \"\" removes it.";
        var rotate = new Option<bool>("--rotate-secret") { Description = "Generate a new secret (shown once); the old one stops working at once." };
        var update = new Command("update", "Change an operator-registered relying app; what is not named stays as it is.")
        {
            clientId, name, englishName, redirect, postLogout, scope, clientCredentials, home, logout, rotate,
        };
        update.SetAction((parse, cancellationToken) =>
        {
            // An update that names nothing to change would report "updated" and audit an empty change.
            if (new Option[] { name, englishName, redirect, postLogout, scope, clientCredentials, home, logout }.All(option => parse.GetResult(option) is null) && !parse.GetValue(rotate))
            {
                Console.Error.WriteLine("Nothing to change: give --name, --english-name, --redirect-uri, --post-logout-uri, --scope, --client-credentials, --home-url, --backchannel-logout-uri or --rotate-secret.");
                return Task.FromResult(2);
            }

            return WithKeysAsync(services => UpdateAsync(services, parse, cancellationToken));
        });
        return update;

        async Task<int> UpdateAsync(IServiceProvider services, ParseResult parse, CancellationToken cancellationToken)
        {
            if (!TryUris(parse.GetValue(redirect), out var redirects) || !TryUris(parse.GetValue(postLogout), out var postLogouts, emptyClears: true)
                || !TryChange(parse.GetResult(home) is null ? null : parse.GetValue(home), out var homeUrl)
                || !TryChange(parse.GetResult(logout) is null ? null : parse.GetValue(logout), out var logoutUri))
            {
                return 2;
            }

            var change = new ClientUpdate(
                DisplayName: parse.GetValue(name),
                RedirectUris: parse.GetResult(redirect) is null ? null : redirects,
                PostLogoutUris: parse.GetResult(postLogout) is null ? null : postLogouts,
                Scopes: parse.GetResult(scope) is null ? null : parse.GetValue(scope),
                AllowClientCredentials: parse.GetValue(clientCredentials) is { } allow ? bool.Parse(allow) : null,
                HomeUrl: homeUrl,
                BackchannelLogoutUri: logoutUri,
                RotateSecret: parse.GetValue(rotate),
                EnglishDisplayName: parse.GetResult(englishName) is null ? null : parse.GetValue(englishName) ?? "");
            return Report(await services.GetRequiredService<ClientAdministration>().UpdateAsync(parse.GetValue(clientId)!, change, cancellationToken));
        }
    }

    /// <summary>An optional address given to `update`: absent leaves it, "" removes it.</summary>
    private static bool TryChange(string? value, out UriChange? change)
    {
        change = null;
        if (value is null)
        {
            return true;
        }

        if (value.Length == 0)
        {
            change = new UriChange(null);
            return true;
        }

        if (!TryUri(value, out var uri))
        {
            return false;
        }

        change = new UriChange(uri);
        return true;
    }

    private static Option<string?> BackchannelLogoutOption() => new("--backchannel-logout-uri")
    {
        Description = "Where the provider posts a logout token when a member's sign-in at this app ends (back-channel logout).",
    };

    private static Command Remove()
    {
        var clientId = new Argument<string>("client-id") { Description = "The app to remove (registered with `clients add`)." };
        var remove = new Command("remove", "Remove an operator-registered relying app and its tokens.") { clientId };
        remove.SetAction((parse, cancellationToken) => WithKeysAsync(async services =>
            Report(await services.GetRequiredService<ClientAdministration>().RemoveAsync(parse.GetValue(clientId)!, cancellationToken))));
        return remove;
    }

    /// <summary>Secrets are hashed with the provider's client-secret key, so the key ring is loaded first.</summary>
    private static Task<int> WithKeysAsync(Func<IServiceProvider, Task<int>> action) =>
        KosmoCommandLine.WithServicesAsync(async services =>
        {
            await services.GetRequiredService<Protocol.Keys.ProtocolKeyRefresher>().RefreshAsync(CancellationToken.None);
            return await action(services);
        });

    /// <summary>
    /// A repeated option's addresses, each once. With <paramref name="emptyClears"/> (`update
    /// --post-logout-uri`), "" alone stands for none; elsewhere it stays an error, so an empty shell
    /// variable never takes an app's redirect URIs away.
    /// </summary>
    private static bool TryUris(string[]? values, out List<Uri> uris, bool emptyClears = false)
    {
        uris = [];
        foreach (var value in values ?? [])
        {
            if (emptyClears && value.Length == 0 && values!.Length == 1)
            {
                break;
            }

            if (!TryUri(value, out var uri))
            {
                return false;
            }

            // By the whole text, as the change report compares them (Uri's equality ignores the fragment).
            if (!uris.Any(known => known.AbsoluteUri == uri!.AbsoluteUri))
            {
                uris.Add(uri!);
            }
        }

        return true;
    }

    private static bool TryUri(string? value, out Uri? uri)
    {
        uri = null;
        if (value is null)
        {
            return true;
        }

        // On Linux "/signin-oidc" parses as an absolute file: URL; an app's addresses are web addresses.
        if (Uri.TryCreate(value, UriKind.Absolute, out uri) && uri.Scheme is "https" or "http")
        {
            return true;
        }

        Console.Error.WriteLine($"'{value}' is not an absolute http(s) URL.");
        return false;
    }

    private static int Report(ClientChange change)
    {
        if (change.Outcome != ClientChangeOutcome.Done)
        {
            Console.Error.WriteLine(change.Message);
            return change.Outcome == ClientChangeOutcome.Refused ? 2 : 1;
        }

        Console.WriteLine(change.Message);
        if (change.Secret is not null)
        {
            // Shown once, here only: the database keeps a keyed hash, and nothing logs it.
            Console.WriteLine($"Client secret (store it now; it is not shown again): {change.Secret}");
        }

        return 0;
    }
}

using Kosmo.Idp.Operations.Startup;
using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol.Apis;
using Kosmo.Idp.Protocol.Clients;
using Kosmo.Idp.Protocol.Keys;
using Kosmo.Idp.Protocol.Rules;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol;

public static class ProtocolRegistration
{
    /// <summary>The scopes of OpenID Connect itself, which the provider answers for; an API's scopes are others.</summary>
    public static readonly string[] StandardScopes = [Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess];

    public static WebApplicationBuilder AddKosmoProtocol(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ProtocolOptions>().BindConfiguration(ProtocolOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProtocolOptions>, ProtocolOptionsValidation>();
        services.AddOptions<KeyOptions>().BindConfiguration(KeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RelyingAppOptions>().BindConfiguration(RelyingAppOptions.Section).ValidateEveryListEntry(RelyingAppOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RelyingAppOptions>, RelyingAppValidation>();

        services.AddSingleton<KeyMaterial>();
        services.AddSingleton<ProtocolKeyRing>();
        services.AddScoped<ProtocolKeyStore>();
        services.AddScoped<SigningKeyWithdrawal>();
        services.AddScoped<ClientAdministration>();
        services.AddSingleton<ProtocolKeyRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<ProtocolKeyRefresher>());
        services.AddSingleton<OpenIddictKeyConfiguration>();
        services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>>(sp => sp.GetRequiredService<OpenIddictKeyConfiguration>());
        services.AddSingleton<IOptionsChangeTokenSource<OpenIddictServerOptions>>(sp => sp.GetRequiredService<OpenIddictKeyConfiguration>());
        services.AddScoped<RelyingAppSync>();
        services.AddScoped<WithdrawnPermissions>();
        services.AddOptions<ApiOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Apis = configuration.GetSection(ApiOptions.Section).Get<List<Api>>() ?? [])
            .ValidateEveryListEntry(null)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidation>();
        services.AddScoped<ApiScopeSync>();
        services.AddScoped<ApiAudiences>();
        services.AddScoped<MemberPrincipalFactory>();
        services.AddSingleton<IdTokenHint>();
        services.AddSingleton<SignInRequestedAt>();
        services.AddOptions<Logout.BackchannelLogoutOptions>().BindConfiguration(Logout.BackchannelLogoutOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<Logout.BackchannelLogout>();
        services.AddScoped<Logout.LogoutNoticeDispatcher>();
        services.AddScoped<Logout.LogoutNoticeReport>();
        services.AddHostedService<Logout.LogoutNoticeService>();
        // A member's sign-out waits for the apps' answers: a few seconds at most, whatever an app does.
        services.AddHttpClient(Logout.BackchannelLogout.HttpClientName)
            .ConfigureHttpClient((provider, client) => client.Timeout = provider.GetRequiredService<IOptions<Logout.BackchannelLogoutOptions>>().Value.Timeout)
            // An app's endpoint that redirects is not followed elsewhere (into the provider's own network).
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddMemoryCache();
        services.AddCors();
        services.AddSingleton<Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider, BrowserAppCors>();

        var protocol = builder.Configuration.GetSection(ProtocolOptions.Section).Get<ProtocolOptions>() ?? new ProtocolOptions();
        var requireHttps = protocol.RequireHttps;

        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<KosmoDbContext>();
                core.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, KeyedClientSecretManager>();
            })
            .AddServer(server =>
            {
                if (protocol.Issuer is not null)
                {
                    server.SetIssuer(protocol.Issuer);
                }

                server.SetAuthorizationEndpointUris(ProtocolPaths.Authorize)
                    .SetTokenEndpointUris(ProtocolPaths.Token)
                    .SetUserInfoEndpointUris(ProtocolPaths.UserInfo)
                    .SetEndSessionEndpointUris(ProtocolPaths.EndSession)
                    .SetRevocationEndpointUris(ProtocolPaths.Revoke)
                    .SetIntrospectionEndpointUris(ProtocolPaths.Introspect)
                    .SetJsonWebKeySetEndpointUris(ProtocolPaths.Jwks);

                server.AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow()
                    .RequireProofKeyForCodeExchange();

                server.RegisterScopes(StandardScopes);
                server.RegisterClaims(Claims.Subject, Claims.Name, Claims.PreferredUsername, Claims.Email, Claims.EmailVerified, Claims.AuthenticationTime,
                    Claims.AuthenticationMethodReference, Claims.AuthenticationContextReference);

                server.SetAccessTokenLifetime(protocol.AccessTokenLifetime)
                    .SetIdentityTokenLifetime(protocol.IdentityTokenLifetime)
                    .SetAuthorizationCodeLifetime(protocol.AuthorizationCodeLifetime)
                    .SetRefreshTokenLifetime(protocol.RefreshTokenLifetime)
                    // A refresh token works once: presenting a redeemed one revokes its whole family.
                    .SetRefreshTokenReuseLeeway(TimeSpan.Zero);

                // Relying apps validate access tokens on their own against the JWKS.
                server.DisableAccessTokenEncryption();
                server.AddEventHandler(ClientCredentialsAccessTokensAreNotStored.Descriptor);
                server.AddEventHandler(RefreshTokensAreRedeemedOnce.Descriptor);
                server.AddEventHandler(ReplayedTokensRevokeTheirFamily.Descriptor);
                server.AddEventHandler(RevokedRefreshTokensEndTheirGrant.Descriptor);
                server.AddEventHandler(NarrowedRefreshesNameOnlyTheirApis.Descriptor);
                server.AddEventHandler(NarrowedRefreshesWithoutOpenIdGetNoIdToken.Descriptor);
                server.AddEventHandler(UngrantedScopesAreInvalidScope.Descriptor);
                server.AddEventHandler(IntrospectionOnlyForTheTokensApps.Descriptor);
                server.AddEventHandler(RevocationOnlyByTheTokensApp.Descriptor);
                server.AddEventHandler(IntrospectionOfOtherTokensIsInactive.Descriptor);
                server.AddEventHandler(OwnErrorsCarryNoDefaultErrorUri.Descriptor);
                foreach (var descriptor in SetAsideHintsStillBindTheirApps.Descriptors)
                {
                    server.AddEventHandler(descriptor);
                }
                server.AddEventHandler(DiscoveryMetadata.Descriptor);
                server.AddEventHandler(DiscoveryEndpointsUnderTheIssuer.Descriptor);
                foreach (var descriptor in StrictRequestParameters.Descriptors)
                {
                    server.AddEventHandler(descriptor);
                }
                server.AddEventHandler(UserInfoTokenNotInTheUrl.Descriptor);
                server.AddEventHandler(ClientCredentialsNeedTheAppsSecret.Descriptor);
                foreach (var descriptor in MalformedBasicCredentialsAreInvalidClient.Descriptors)
                {
                    server.AddEventHandler(descriptor);
                }
                foreach (var descriptor in UnpermittedScopesAreInvalidScope.Descriptors)
                {
                    server.AddEventHandler(descriptor);
                }


                server.Configure(options =>
                {
                    // S256 only: "plain" offers no protection against a stolen code.
                    options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
                    // Apps authenticate with their client secret; none is registered with a key set, so
                    // private_key_jwt is neither advertised nor accepted.
                    options.ClientAuthenticationMethods.Remove(ClientAuthenticationMethods.PrivateKeyJwt);
                });

                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableStatusCodePagesIntegration()
                    // RFC 7617 2: a Basic challenge names its realm (OpenIddict sends none unless told).
                    .SetRealm("kosmo-idp");
                if (!requireHttps)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });

        services.AddOptions<OpenIddictServerOptions>().Configure<TimeProvider>((options, time) => options.TimeProvider = time);

        return builder;
    }
}

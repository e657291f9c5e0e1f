using System.Globalization;
using OpenIddict.Abstractions;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Primitives;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Kosmo.Idp.Protocol.Rules;

/// <summary>
/// What OpenIddict lets through but the specifications do not, refused with invalid_request before
/// anything else is checked (on the error page, never redirected):
/// a parameter sent more than once (RFC 6749 3.1, 3.2: OpenIddict reads it as an array, and the
/// single value is then missing, so `state=a&amp;state=b` would come back without a state);
/// a max_age that is not a number of seconds (OpenID Connect Core 3.1.2.1);
/// a request_uri of any form: OpenIddict would look a pushed request's (RFC 9126) up and answer
/// invalid_token, where discovery says request_uri_parameter_supported false (Core 6.2);
/// a code_challenge that cannot be an S256 challenge, 43 base64url characters (RFC 7636 4.2);
/// a code_verifier that is not 43–128 unreserved characters (RFC 7636 4.1);
/// a scope of spaces only (RFC 6749 3.3), answered invalid_scope;
/// an access_token sent twice to userinfo (RFC 6750 3.1);
/// an introspection request by GET, with the token in the URL (RFC 7662 2.1 says POST; a URL
/// ends up in access logs);
/// a client_id in the body that names another client than the HTTP Basic credentials (OpenIddict
/// takes the credentials' and drops the other without a word; an app sending both has a bug to hear of).
/// </summary>
internal sealed class StrictRequestParameters :
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateAuthorizationRequestContext>,
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateTokenRequestContext>,
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateEndSessionRequestContext>,
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateRevocationRequestContext>,
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateIntrospectionRequestContext>,
    IOpenIddictServerHandler<OpenIddictServerEvents.ValidateUserInfoRequestContext>
{
    private static readonly string[] AuthorizationParameters =
    [
        Parameters.ClientId, Parameters.RedirectUri, Parameters.ResponseType, Parameters.ResponseMode, Parameters.Scope,
        Parameters.State, Parameters.Nonce, Parameters.Prompt, Parameters.MaxAge, Parameters.AcrValues, Parameters.CodeChallenge,
        Parameters.CodeChallengeMethod, Parameters.LoginHint, Parameters.IdTokenHint, Parameters.UiLocales,
        // Refused anyway when sent once; read as an array when repeated, they would slip past that refusal.
        Parameters.Request, Parameters.RequestUri,
    ];

    private static readonly string[] TokenParameters =
    [
        Parameters.GrantType, Parameters.Code, Parameters.RedirectUri, Parameters.CodeVerifier, Parameters.RefreshToken,
        Parameters.Scope, Parameters.ClientId, Parameters.ClientSecret,
    ];

    private static readonly string[] EndSessionParameters =
    [
        Parameters.IdTokenHint, Parameters.PostLogoutRedirectUri, Parameters.State, Parameters.ClientId, Parameters.UiLocales,
    ];

    private static readonly string[] UserInfoParameters = [Parameters.AccessToken];

    private static readonly string[] TokenManagementParameters =
    [
        Parameters.Token, Parameters.TokenTypeHint, Parameters.ClientId, Parameters.ClientSecret,
    ];

    public static IEnumerable<OpenIddictServerHandlerDescriptor> Descriptors =>
    [
        Describe(OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateAuthorizationRequestContext>().UseSingletonHandler<StrictRequestParameters>()),
        Describe(OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenRequestContext>().UseSingletonHandler<StrictRequestParameters>()),
        Describe(OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateEndSessionRequestContext>().UseSingletonHandler<StrictRequestParameters>()),
        Describe(OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateRevocationRequestContext>().UseSingletonHandler<StrictRequestParameters>()),
        Describe(OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateIntrospectionRequestContext>().UseSingletonHandler<StrictRequestParameters>()),
        Describe(OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateUserInfoRequestContext>().UseSingletonHandler<StrictRequestParameters>()),
    ];

    // Before OpenIddict's own checks, which would otherwise read the missing single value first. Its
    // first handler has int.MinValue + 100 000: at an equal order which runs first is left to an
    // unstable sort, and changed when another handler was registered.
    private static OpenIddictServerHandlerDescriptor Describe<TContext>(OpenIddictServerHandlerDescriptor.Builder<TContext> builder)
        where TContext : OpenIddictServerEvents.BaseContext =>
        builder.SetOrder(int.MinValue + 50_000).SetType(OpenIddictServerHandlerType.Custom).Build();

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateAuthorizationRequestContext context)
    {
        await Refuse(context, context.Request, AuthorizationParameters);
        if (context.IsRejected)
        {
            return;
        }

        // An empty value is an omitted parameter (RFC 6749 3.1), as OpenIddict reads the others.
        if (context.Request.RequestUri is { Length: > 0 })
        {
            context.Reject(Errors.RequestUriNotSupported, "The 'request_uri' parameter is not supported.");
        }
        else if ((string?)context.Request.GetParameter(Parameters.MaxAge) is { Length: > 0 } maxAge && !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            context.Reject(Errors.InvalidRequest, "The 'max_age' parameter must be a number of seconds.");
        }
        else if (context.Request.CodeChallenge is { Length: > 0 } challenge && !(challenge.Length == 43 && challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            context.Reject(Errors.InvalidRequest, "The 'code_challenge' parameter must be the 43-character S256 challenge.");
        }
        else
        {
            RefuseBlankScope(context, context.Request);
        }
    }

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateTokenRequestContext context)
    {
        await Refuse(context, context.Request, TokenParameters);
        await RefuseAnotherClientIdAsync(context, context.Request);
        if (!context.IsRejected && context.Request.CodeVerifier is { Length: > 0 } verifier
            && !(verifier.Length is >= 43 and <= 128 && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')))
        {
            context.Reject(Errors.InvalidRequest, "The 'code_verifier' parameter must be 43 to 128 unreserved characters.");
        }

        RefuseBlankScope(context, context.Request);
    }

    /// <summary>
    /// A scope of spaces only names no scope (RFC 6749 3.3: at least one scope-token), and would pass
    /// every check that reads "no scope sent" as "the scope granted": a token with no scope at all.
    /// </summary>
    private static void RefuseBlankScope(OpenIddictServerEvents.BaseValidatingContext context, OpenIddictRequest request)
    {
        if (!context.IsRejected && request.Scope is { Length: > 0 } scope && string.IsNullOrWhiteSpace(scope))
        {
            context.Reject(Errors.InvalidScope, "The 'scope' parameter names no scope.");
        }
    }

    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateEndSessionRequestContext context) => Refuse(context, context.Request, EndSessionParameters);

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateRevocationRequestContext context)
    {
        await Refuse(context, context.Request, TokenManagementParameters);
        await RefuseAnotherClientIdAsync(context, context.Request);
    }

    public async ValueTask HandleAsync(OpenIddictServerEvents.ValidateIntrospectionRequestContext context)
    {
        if (HttpMethods.IsGet(context.Transaction.GetHttpRequest()?.Method ?? ""))
        {
            context.Reject(Errors.InvalidRequest, "Send the introspection request as a POST, with the token in the body.");
            return;
        }

        await Refuse(context, context.Request, TokenManagementParameters);
        await RefuseAnotherClientIdAsync(context, context.Request);
    }

    // A repeated access_token would otherwise read as none: 401 without an error, where RFC 6750 3.1 says invalid_request.
    public ValueTask HandleAsync(OpenIddictServerEvents.ValidateUserInfoRequestContext context) => Refuse(context, context.Request, UserInfoParameters);

    private static async ValueTask RefuseAnotherClientIdAsync(OpenIddictServerEvents.BaseValidatingContext context, OpenIddictRequest request)
    {
        // OpenIddict has read the form already (this returns it) and put the Basic user name in request.ClientId.
        if (context.IsRejected || context.Transaction.GetHttpRequest() is not { HasFormContentType: true } http
            || !http.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        // An empty value counts as not sent (RFC 6749 3.2), as OpenIddict treats an empty client_secret.
        var form = await http.ReadFormAsync(context.CancellationToken);
        if (!form.TryGetValue(Parameters.ClientId, out var inBody) || StringValues.IsNullOrEmpty(inBody))
        {
            return;
        }

        if (inBody.Count > 1)
        {
            RejectRepeated(context, Parameters.ClientId);
        }
        else if (!string.Equals(inBody.ToString(), request.ClientId, StringComparison.Ordinal))
        {
            context.Reject(Errors.InvalidRequest, "The 'client_id' parameter names another client than the credentials in the Authorization header.");
        }
    }

    private static ValueTask Refuse(OpenIddictServerEvents.BaseValidatingContext context, OpenIddictRequest request, string[] names)
    {
        if (names.FirstOrDefault(name => request.GetParameter(name) is { Count: > 1 }) is { } repeated)
        {
            RejectRepeated(context, repeated);
        }

        return ValueTask.CompletedTask;
    }

    private static void RejectRepeated(OpenIddictServerEvents.BaseValidatingContext context, string name) =>
        context.Reject(Errors.InvalidRequest, $"The '{name}' parameter must not be sent more than once.");
}

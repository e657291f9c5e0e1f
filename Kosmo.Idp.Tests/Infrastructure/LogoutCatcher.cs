using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// A relying app's back-channel logout endpoint: records the logout tokens the provider posts.
/// <see cref="Down"/> makes it answer 500, as an app that is being deployed would.
/// </summary>
public sealed class LogoutCatcher : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _tokens = new();
    private WebApplication _app = null!;

    /// <summary>The URL to register as the app's BackchannelLogoutUri.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public bool Down { get; set; }

    public IReadOnlyList<string> Tokens => [.. _tokens];

    public static async Task<LogoutCatcher> StartAsync()
    {
        var catcher = new LogoutCatcher();
        (catcher._app, var url) = await LocalServer.StartAsync(app => app.MapPost("/backchannel-logout", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            catcher._tokens.Enqueue(form["logout_token"].ToString());
            return catcher.Down ? Results.StatusCode(StatusCodes.Status500InternalServerError) : Results.Ok();
        }));
        catcher.Endpoint = new Uri(url, "/backchannel-logout");
        return catcher;
    }

    public void Clear() => _tokens.Clear();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

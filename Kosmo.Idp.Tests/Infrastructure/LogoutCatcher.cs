using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// A relying app's back-channel logout endpoint: records the logout tokens the provider posts.
/// <see cref="Down"/> makes it answer 500, as an app that is being deployed would.
/// </summary>
public sealed class LogoutCatcher : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _tokens = new();

    private LogoutCatcher()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/backchannel-logout", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            _tokens.Enqueue(form["logout_token"].ToString());
            return Down ? Results.StatusCode(StatusCodes.Status500InternalServerError) : Results.Ok();
        });
    }

    /// <summary>The URL to register as the app's BackchannelLogoutUri.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public bool Down { get; set; }

    public IReadOnlyList<string> Tokens => [.. _tokens];

    public static async Task<LogoutCatcher> StartAsync()
    {
        var catcher = new LogoutCatcher();
        await catcher._app.StartAsync();
        var address = catcher._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        catcher.Endpoint = new Uri(new Uri(address), "/backchannel-logout");
        return catcher;
    }

    public void Clear() => _tokens.Clear();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

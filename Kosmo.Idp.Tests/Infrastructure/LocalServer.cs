using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>
/// A small HTTP server on a free loopback port for something the code under test calls: SendGrid's
/// API, an app's back-channel logout endpoint, a probed health endpoint.
/// </summary>
public static class LocalServer
{
    /// <summary>Starts a server answering the routes <paramref name="map"/> adds; returns it and its base URL.</summary>
    public static async Task<(WebApplication App, Uri Url)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}

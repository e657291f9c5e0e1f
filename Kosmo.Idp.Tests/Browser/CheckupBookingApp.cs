using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Kosmo.Idp.Tests.Browser;

/// <summary>
/// The public <c>checkup-booking</c> app of the browser tests: static pages whose JavaScript signs
/// members in with oidc-client-ts from npm (code flow, PKCE, no secret), served from
/// Browser/CheckupBooking. This host only serves files and the app's settings; everything
/// protocol-side happens in the browser, as in a real single-page app.
/// </summary>
public sealed class CheckupBookingApp : IAsyncDisposable
{
    public const string ClientId = "checkup-booking";
    public const string Title = "人間ドック等予約";
    public const string CallbackPage = "callback.html";
    public const string SignedOutPage = "signed-out.html";

    private readonly WebApplication _app;

    private CheckupBookingApp(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<CheckupBookingApp> StartAsync(Uri url, Uri issuer)
    {
        var folder = Path.Combine(RepositoryPaths.TestProject, "Browser", "CheckupBooking");
        var library = Path.Combine(folder, "node_modules", "oidc-client-ts", "dist", "browser");
        if (!File.Exists(Path.Combine(library, "oidc-client-ts.min.js")))
        {
            Assert.Fail($"oidc-client-ts is not installed in {folder}: building the test project runs `npm ci` there (needs node and npm).");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/config.json", () => Results.Json(new { authority = issuer.ToString(), clientId = ClientId }));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = new PhysicalFileProvider(Path.Combine(folder, "site")) });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Path.Combine(folder, "site")) });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(library), RequestPath = "/lib" });
        await app.StartAsync();
        return new CheckupBookingApp(app, url);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

using System.Diagnostics;

namespace Kosmo.Idp.Operations.Health;

/// <summary>
/// The `health` command: asks a running service's health endpoint and turns the answer into an
/// exit code, for a container HEALTHCHECK in an image that has no curl or wget. It runs beside the
/// service, so it reads no configuration and opens no database: one HTTP request, one line of output.
/// </summary>
public static class HealthProbe
{
    public const string DefaultUrl = "http://localhost:8080/health/ready";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>0 when <paramref name="url"/> answers 200 within the timeout; 1 otherwise; 2 when the URL is not an absolute http(s) URL.</summary>
    public static async Task<int> RunAsync(string url, TextWriter output, TextWriter errors, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
        {
            await errors.WriteLineAsync($"--url must be an absolute http or https URL, not '{url}'.");
            return 2;
        }

        var limit = timeout ?? DefaultTimeout;
        // A redirect (to a login page, say) is not health: only the endpoint's own 200 counts.
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await client.GetAsync(target, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var code = (int)response.StatusCode;
            if (code == 200)
            {
                await output.WriteLineAsync($"Healthy: {target} answered 200 in {clock.ElapsedMilliseconds} ms.");
                return 0;
            }

            // The endpoint says why in a short plain text ("The database cannot be reached."); a page
            // from something else (a proxy's HTML) is not repeated.
            var reason = response.Content.Headers.ContentType?.MediaType == "text/plain"
                ? OneLine(await response.Content.ReadAsStringAsync(deadline.Token)) : "";
            var why = reason.Length is > 0 and <= 300 ? " " + reason : "";
            await errors.WriteLineAsync($"Unhealthy: {target} answered {code} {response.ReasonPhrase}.{why}");
            return 1;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await errors.WriteLineAsync($"Unhealthy: {target} did not answer within {limit.TotalSeconds:0.#} s.");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await errors.WriteLineAsync($"Unhealthy: {target} cannot be reached: {OneLine(e.InnerException?.Message ?? e.Message)}");
            return 1;
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Telemetry;

/// <summary>Settings under <c>Telemetry</c>: the Prometheus scrape endpoint and, optionally, traces by OTLP.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>Collect metrics and serve them at <see cref="MetricsPath"/>.</summary>
    public bool MetricsEnabled { get; set; } = true;

    /// <summary>The Prometheus scrape path.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>
    /// When set, <see cref="MetricsPath"/> answers only on connections to this local port (one the
    /// service also listens on, e.g. <c>ASPNETCORE_HTTP_PORTS=8080;9464</c>), so the public port never
    /// serves it. When empty it is served on every port and the ingress must not route it.
    /// </summary>
    [Range(1, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>Where traces go by OTLP (a collector); no tracing at all when empty.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary><c>Grpc</c> (usually port 4317) or <c>HttpProtobuf</c> (4318, give the full <c>/v1/traces</c> URL).</summary>
    public OtlpProtocol OtlpProtocol { get; set; } = OtlpProtocol.Grpc;
}

/// <summary>
/// The OTLP exporter's protocols under our own names: binding the exporter's enum would load the
/// exporter into every process, traced or not (half a megabyte of an idle service's memory).
/// </summary>
public enum OtlpProtocol
{
    Grpc,
    HttpProtobuf,
}

public sealed class TelemetryOptionsValidation : IValidateOptions<TelemetryOptions>
{
    // The first segments of every path the service answers (a test checks its routes and static folders against this validation).
    private static readonly string[] Reserved =
        ["/connect", "/journey", "/account", "/login", "/logout", "/signed-out", "/language", "/.well-known", "/health", "/error", "/demo", "/css", "/js"];

    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        var path = options.MetricsPath;
        if (options.MetricsEnabled
            && (string.IsNullOrWhiteSpace(path) || !path.StartsWith('/') || path.Length < 2 || path.IndexOfAny(['?', '#', ' ']) >= 0
                || Reserved.Any(r => new PathString(path).StartsWithSegments(r, StringComparison.OrdinalIgnoreCase))))
        {
            failures.Add($"Telemetry:MetricsPath must be a path of its own such as /metrics (got \"{path}\").");
        }

        if (options.OtlpEndpoint is { } otlp && (!otlp.IsAbsoluteUri || (otlp.Scheme != Uri.UriSchemeHttp && otlp.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add("Telemetry:OtlpEndpoint must be an absolute http or https URL of an OTLP collector.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

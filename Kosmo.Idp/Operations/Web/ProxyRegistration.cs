using Kosmo.Idp.Operations.Startup;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Web;

/// <summary>
/// Behind a load balancer or ingress that terminates TLS: X-Forwarded-For and X-Forwarded-Proto
/// are believed only from the configured networks, so members are rate-limited by their own
/// address and the protocol sees https. With no network configured the headers are ignored.
/// </summary>
public static class ProxyRegistration
{
    public static IServiceCollection AddKosmoProxy(this IServiceCollection services)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateEveryListEntry(ProxyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidation>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxy) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = proxy.Value.ForwardLimit;
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var network in proxy.Value.TrustedNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }

    public static IApplicationBuilder UseKosmoProxy(this IApplicationBuilder app)
    {
        var proxy = app.ApplicationServices.GetRequiredService<IOptions<ProxyOptions>>().Value;
        return proxy.TrustedNetworks.Count > 0 ? app.UseForwardedHeaders() : app;
    }
}

public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>CIDR ranges of the proxies in front of the service (e.g. the ingress controller's pod network).</summary>
    public List<string> TrustedNetworks { get; set; } = [];

    /// <summary>How many proxies in a row may have added an X-Forwarded-For entry.</summary>
    public int ForwardLimit { get; set; } = 1;
}

internal sealed class ProxyOptionsValidation : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var bad = options.TrustedNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)).ToList();
        return bad.Count > 0 ? ValidateOptionsResult.Fail($"Proxy:TrustedNetworks has entries that are not CIDR ranges: {string.Join(", ", bad)}")
            : options.ForwardLimit is < 1 or > 10 ? ValidateOptionsResult.Fail("Proxy:ForwardLimit must be 1–10.")
            : ValidateOptionsResult.Success;
    }
}

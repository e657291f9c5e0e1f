using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Kosmo.Idp.Journey.Password;

/// <summary>
/// Per-address throttling of login posts, in front of the per-user-ID lockout: it slows one
/// address trying many user IDs, which the lockout alone does not see.
/// </summary>
public static class LoginRateLimit
{
    public const string Policy = "login";

    public static IServiceCollection AddLoginRateLimit(this IServiceCollection services, IConfiguration configuration)
    {
        var permitsPerMinute = configuration.GetValue("RateLimits:LoginPostsPerMinutePerAddress", 30);
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(Policy, context =>
                HttpMethods.IsPost(context.Request.Method)
                    ? RateLimitPartition.GetFixedWindowLimiter(
                        context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = permitsPerMinute, Window = TimeSpan.FromMinutes(1) })
                    : RateLimitPartition.GetNoLimiter("get"));
        });
        return services;
    }
}

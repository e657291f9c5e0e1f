using System.Net;
using System.Net.Sockets;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Journey.Password;

/// <summary>
/// Per-address throttling of login posts, in front of the per-user-ID lockout: it slows one
/// address trying many user IDs, which the lockout alone does not see. A fixed one-minute window
/// counted in the database by one atomic upsert, so every replica counts into the same window.
/// </summary>
public sealed class AddressThrottle(KosmoDbContext db, IOptions<AddressThrottleOptions> options, TimeProvider time)
{
    // Both PostgreSQL and SQLite (3.35+) take ON CONFLICT … RETURNING; two replicas posting at once
    // both land in the same row, one after the other. {0} is the address key, {1} the minute. Only a
    // later minute starts a new window: a replica whose clock is a little behind counts into the
    // current one instead of resetting it.
    private const string CountInto = """

        ON CONFLICT (address) DO UPDATE SET
            posts = CASE WHEN excluded.window_minute > address_post_counts.window_minute THEN 1 ELSE address_post_counts.posts + 1 END,
            window_minute = CASE WHEN excluded.window_minute > address_post_counts.window_minute
                THEN excluded.window_minute ELSE address_post_counts.window_minute END
        RETURNING posts AS "Value"
        """;

    // On PostgreSQL this one transaction does not wait for its commit to reach the disk (a login post
    // would otherwise pay a second fsync, about 4 ms here): a crash can lose the last moment's
    // counts, which only gives those addresses a few posts more.
    private const string CountOnPostgres = "INSERT INTO address_post_counts (address, window_minute, posts) "
        + "SELECT {0}, {1}, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS asynchronous_commit" + CountInto;

    private const string CountOnSqlite = "INSERT INTO address_post_counts (address, window_minute, posts) VALUES ({0}, {1}, 1)" + CountInto;

    /// <summary>Counts one post from the address; false when it is over this minute's allowance.</summary>
    public async Task<bool> AllowPostAsync(IPAddress? address, CancellationToken cancellationToken)
    {
        var key = KeyOf(address);
        var minute = WindowOf(time.GetUtcNow());
        var posts = db.Database.SqlQueryRaw<int>(db.OnPostgres ? CountOnPostgres : CountOnSqlite, key, minute);
        return (await posts.ToListAsync(cancellationToken)).Single() <= options.Value.LoginPostsPerMinutePerAddress;
    }

    /// <summary>The one-minute window a moment falls in: minutes since the Unix epoch.</summary>
    public static long WindowOf(DateTimeOffset moment) => moment.ToUnixTimeSeconds() / 60;

    /// <summary>
    /// An IPv4 address as it is; an IPv6 address by its /64 network, since one device can take any
    /// number of addresses inside the /64 it was given.
    /// </summary>
    public static string KeyOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}

using System.Net;
using Kosmo.Idp.Journey.Password;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Kosmo.Idp.Tests.Journey.JourneySteps;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>
/// The per-address allowance of login posts (3 a minute here): counted in PostgreSQL, so two
/// replicas share it; refused posts never reach the password check.
/// </summary>
public sealed class AddressThrottleTests
{
    private const string AddressHeader = "X-Test-Client-Address";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
    private KosmoFactory _a = null!;
    private KosmoFactory _b = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["RateLimits:LoginPostsPerMinutePerAddress"] = "3" };
        void Services(IServiceCollection services)
        {
            services.AddSingleton<TimeProvider>(_clock);
            services.AddSingleton<IStartupFilter, ClientAddressFromHeader>();
        }

        _a = new KosmoFactory(connection, settings, Services);
        _ = _a.Server;
        _b = new KosmoFactory(connection, settings, Services);
        _ = _b.Server;
        await TestMembers.AddAsync(_a, "T0001", "Throttle-Member-2026");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Test]
    public async Task PostsOverTheMinutesAllowance_GetTheTryAgainPage_AndTheRightPasswordIsNotChecked()
    {
        var browser = From(_a, "198.51.100.1");
        for (var i = 0; i < 3; i++)
        {
            var wrong = await LoginAsync(browser, "T0001", "wrong-password");
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"post {i + 1} is within the allowance");
        }

        var refused = await LoginAsync(browser, "T0001", "Throttle-Member-2026");

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(int.Parse(refused.Headers.GetValues("Retry-After").Single()), Is.InRange(1, 60), "until the next minute");
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("1分ほど時間をおいてから"));
        Assert.That(refused.Headers.Location, Is.Null, "not signed in");
    }

    [Test]
    public async Task TheAllowance_IsSharedByTheReplicas()
    {
        await LoginAsync(From(_a, "198.51.100.2"), "T0001", "wrong-password");
        await LoginAsync(From(_b, "198.51.100.2"), "T0001", "wrong-password");
        await LoginAsync(From(_a, "198.51.100.2"), "T0001", "wrong-password");

        var fourth = await LoginAsync(From(_b, "198.51.100.2"), "T0001", "wrong-password");

        Assert.That(fourth.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "three posts on two replicas used up one allowance");
    }

    [Test]
    public async Task AnotherAddress_HasItsOwnAllowance_AndANewMinuteStartsAFreshOne()
    {
        for (var i = 0; i < 4; i++)
        {
            await LoginAsync(From(_a, "198.51.100.3"), "T0001", "wrong-password");
        }

        var neighbour = await LoginAsync(From(_a, "198.51.100.4"), "T0001", "wrong-password");
        Assert.That(neighbour.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another address is not held back");

        _clock.Advance(TimeSpan.FromMinutes(1));
        var nextMinute = await LoginAsync(From(_a, "198.51.100.3"), "T0001", "wrong-password");
        Assert.That(nextMinute.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task AddressesInsideOneIpv6Slash64_ShareOneAllowance()
    {
        for (var i = 1; i <= 3; i++)
        {
            await LoginAsync(From(_a, $"2001:db8:1:2::{i}"), "T0001", "wrong-password");
        }

        var sameNetwork = await LoginAsync(From(_a, "2001:db8:1:2:ffff::9"), "T0001", "wrong-password");
        var otherNetwork = await LoginAsync(From(_a, "2001:db8:1:3::1"), "T0001", "wrong-password");

        Assert.That(sameNetwork.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(otherNetwork.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task OnTheEmbeddedSqliteFile_TheAllowanceHoldsToo()
    {
        // The README's run command uses SQLite: the upsert is written in SQL both databases take.
        var file = SqliteFiles.NewPath("throttle");
        var sqlite = new KosmoFactory("", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Kosmo"] = "",
            ["Database:SqlitePath"] = file,
            ["RateLimits:LoginPostsPerMinutePerAddress"] = "3",
        }, services => services.AddSingleton<TimeProvider>(new FakeTimeProvider(_clock.GetUtcNow())));
        try
        {
            var browser = sqlite.Browser();
            for (var i = 0; i < 3; i++)
            {
                Assert.That((await LoginAsync(browser, "T0001", "wrong-password")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            Assert.That((await LoginAsync(browser, "T0001", "wrong-password")).StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        }
        finally
        {
            await sqlite.DisposeAsync();
            SqliteFiles.Delete(file);
        }
    }

    [Test]
    public async Task AReplicaWhoseClockIsBehind_CountsIntoTheCurrentWindow_InsteadOfStartingItAgain()
    {
        var key = IPAddress.Parse("198.51.100.9");
        var behind = new FakeTimeProvider(_clock.GetUtcNow().AddMinutes(-1));
        var answers = new List<bool>();
        foreach (var clock in new TimeProvider[] { _clock, behind, _clock, behind })
        {
            await using var scope = _a.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Kosmo.Idp.Persistence.KosmoDbContext>();
            var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<AddressThrottleOptions>>();
            answers.Add(await new AddressThrottle(db, options, clock).AllowPostAsync(key, CancellationToken.None));
        }

        Assert.That(answers, Is.EqualTo(new[] { true, true, true, false }), "four posts in one window, whatever each replica's clock says");
    }

    [TestCase("198.51.100.7", "198.51.100.7")]
    [TestCase("::ffff:198.51.100.7", "198.51.100.7")]
    [TestCase("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64")]
    [TestCase(null, "unknown")]
    public void TheCountingKey_IsTheIpv4AddressOrTheIpv6Network(string? address, string key) =>
        Assert.That(AddressThrottle.KeyOf(address is null ? null : IPAddress.Parse(address)), Is.EqualTo(key));

    /// <summary>A browser at the given address: the test server has no network connection to take it from.</summary>
    private static HttpClient From(KosmoFactory replica, string address)
    {
        var browser = replica.Browser();
        browser.DefaultRequestHeaders.Add(AddressHeader, address);
        return browser;
    }

    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (IPAddress.TryParse(context.Request.Headers[AddressHeader].ToString(), out var address))
                {
                    context.Connection.RemoteIpAddress = address;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

using Kosmo.Idp.Persistence;
using Kosmo.Idp.Protocol;
using Kosmo.Idp.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kosmo.Idp.Tests.Protocol;

/// <summary>
/// An operator's sign-out (or a reset) and an app's silent sign-in arriving at the same moment, on
/// two replicas: the sign-in must not come out of it alive.
/// </summary>
public sealed class SignInDuringSignOutTests
{
    private const string Password = "Race-Member-2026";

    [Test]
    public async Task ASignInAskedForWhileTheMembersSessionsAreBeingEnded_WaitsAndIsRefused_InsteadOfOutlivingTheSignOut()
    {
        await using var factory = await KosmoFactory.StartAsync();
        var member = await TestMembers.AddAsync(factory, "S0003", Password);
        var portal = TestRelyingApp.Portal(factory);
        Assert.That((await portal.SignInAsync("S0003", Password, Pkce.Create())).Code, Is.Not.Null);

        // What members sign-out does, held open before its commit.
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var stored = await db.Members.SingleAsync(m => m.Id == member.Id);
        await scope.ServiceProvider.GetRequiredService<SessionTermination>().EndAllAsync(stored, sparedSessionId: null, CancellationToken.None);
        await db.SaveChangesAsync();

        // Meanwhile the portal asks again, silently, as it does on a timer.
        var pkce = Pkce.Create();
        var asked = portal.Browser.GetAsync(portal.AuthorizeUrl(pkce, new Dictionary<string, string?> { ["prompt"] = "none" }));
        // Long enough for a sign-in that does not wait to be answered before the commit.
        await Task.WhenAny(asked, Task.Delay(TimeSpan.FromSeconds(2)));
        await transaction.CommitAsync();

        var answer = AuthorizationResponse.From(await asked, KosmoFactory.PortalRedirect);
        Assert.That(answer.Code, Is.Null, "a code made beside the sign-out would redeem after it");
        Assert.That(answer.Error, Is.EqualTo("login_required"));
    }
}

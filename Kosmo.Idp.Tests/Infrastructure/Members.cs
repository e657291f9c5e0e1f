using Kosmo.Idp.Journey;
using Kosmo.Idp.Journey.Terms;
using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Tests.Infrastructure;

public static class TestMembers
{
    /// <summary>
    /// A member who finished the first-login journey: their own password, terms accepted, email
    /// <c>{userId lower-cased}@example.jp</c> verified, one-time passwords by email (see <see cref="OtpMail"/>).
    /// </summary>
    public static async Task<Member> AddAsync(KosmoFactory factory, string userId, string password, string? displayName = null, string? passwordHash = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var now = DateTimeOffset.UtcNow;
        var member = new Member
        {
            UserId = userId,
            NormalizedUserId = Member.Normalize(userId),
            DisplayName = displayName,
            PasswordHash = passwordHash ?? scope.ServiceProvider.GetRequiredService<PasswordHashing>().Hash(password),
            AcceptedTermsVersion = scope.ServiceProvider.GetRequiredService<IOptions<TermsOptions>>().Value.Version,
            TermsAcceptedAt = now,
            Email = userId.ToLowerInvariant() + "@example.jp",
            EmailVerifiedAt = now,
            OtpMethod = OtpMethod.Email,
            EmailOtpEnabledAt = now,
            RecoveryCodesSavedAt = now,
            CreatedAt = now,
        };
        db.Members.Add(member);
        await db.SaveChangesAsync();
        return member;
    }

    /// <summary>A member as the roster creates them: nothing done yet, initial password 記号+番号+生年月日.</summary>
    public static async Task<Member> AddFromRosterAsync(
        KosmoFactory factory, string userId, string symbol, string number, DateOnly birthDate, string? displayName = null, string? rosterEmail = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var member = new Member
        {
            UserId = userId,
            NormalizedUserId = Member.Normalize(userId),
            DisplayName = displayName,
            Symbol = symbol,
            Number = number,
            BirthDate = birthDate,
            JoinedOn = new DateOnly(2010, 4, 1),
            RosterEmail = rosterEmail,
            PasswordMustChange = true,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Members.Add(member);
        await db.SaveChangesAsync();
        return member;
    }

    /// <summary>A member who finished the journey but chose the app and has none yet: the next login lands on the app setup page.</summary>
    public static async Task<Member> AddWhoMustSetUpAnAppAsync(KosmoFactory factory, string userId, string password, string? displayName = null)
    {
        var member = await AddAsync(factory, userId, password, displayName);
        await WithDbAsync(factory, db => db.Members.Where(m => m.Id == member.Id).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.OtpMethod, OtpMethod.App)
            .SetProperty(m => m.EmailOtpEnabledAt, (DateTimeOffset?)null)
            .SetProperty(m => m.RecoveryCodesSavedAt, (DateTimeOffset?)null)));
        return member;
    }

    /// <summary>
    /// Marks a roster member's birthdate confirmed and, for a later <paramref name="step"/>, the terms
    /// accepted, as if they had walked those pages in an earlier session: their next login lands on
    /// <paramref name="step"/>. The address and method are never carried into a new sign-in with the
    /// initial password (InitialPasswordChoices): see <see cref="SignInPastEmailAsync"/>.
    /// </summary>
    public static async Task SkipToAsync(KosmoFactory factory, Member member, JourneyStep step)
    {
        Assert.That(step, Is.InRange(JourneyStep.AcceptTerms, JourneyStep.VerifyEmail), "only the birthdate and terms carry over to a new sign-in");
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var stored = await db.Members.SingleAsync(m => m.Id == member.Id);
        var now = DateTimeOffset.UtcNow;
        stored.BirthDateConfirmedAt = now;
        if (step > JourneyStep.AcceptTerms)
        {
            stored.AcceptedTermsVersion = scope.ServiceProvider.GetRequiredService<IOptions<TermsOptions>>().Value.Version;
            stored.TermsAcceptedAt = now;
        }

        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Signs a roster member (birthdate and terms done, <see cref="SkipToAsync"/>) in with the initial
    /// password, then marks the address <c>{userId lower-cased}@example.jp</c> verified, and
    /// <paramref name="method"/> chosen when given, as if done on this sign-in's pages. Returns the
    /// redirect to the step then due, as the email page gives it.
    /// </summary>
    public static async Task<HttpResponseMessage> SignInPastEmailAsync(
        KosmoFactory factory, HttpClient browser, string userId, string password, string url = "/login", OtpMethod? method = null)
    {
        var login = await Journey.JourneySteps.LoginAsync(browser, userId, password, url);
        Assert.That(Journey.JourneySteps.PathOf(login), Is.EqualTo("/journey/email"));
        await WithDbAsync(factory, db => db.Members.Where(m => m.UserId == userId).ExecuteUpdateAsync(set => set
            .SetProperty(m => m.Email, userId.ToLowerInvariant() + "@example.jp")
            .SetProperty(m => m.EmailVerifiedAt, DateTimeOffset.UtcNow)
            .SetProperty(m => m.OtpMethod, method)));
        return await browser.GetAsync(login.Headers.Location);
    }

    /// <summary>The kinds of the audit events recorded about the member, oldest first.</summary>
    public static Task<List<string>> AuditKindsAsync(KosmoFactory factory, string userId) => WithDbAsync(factory, async db =>
    {
        var id = await db.Members.Where(m => m.UserId == userId).Select(m => m.Id).SingleAsync();
        return await db.AuditEvents.Where(a => a.MemberId == id).OrderBy(a => a.Id).Select(a => a.Kind).ToListAsync();
    });

    public static async Task<T> WithDbAsync<T>(KosmoFactory factory, Func<KosmoDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<KosmoDbContext>());
    }
}

using Kosmo.Idp.Journey.Terms;
using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Startup;

/// <summary>
/// Two members to sign in with on a fresh Development machine: one who finished the first-login
/// journey, and one fresh from the roster (initial password 記号+番号+生年月日) to walk it.
/// Refused outside Development.
/// </summary>
public sealed class DemoData(
    KosmoDbContext db, PasswordHashing hashing, IOptions<DemoDataOptions> options, IOptions<TermsOptions> terms,
    TimeProvider time, ILogger<DemoData> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var demo = options.Value;
        if (!demo.Enabled)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (await AbsentAsync(demo.UserId, cancellationToken))
        {
            db.Members.Add(new Member
            {
                UserId = demo.UserId,
                NormalizedUserId = Member.Normalize(demo.UserId),
                DisplayName = demo.DisplayName,
                PasswordHash = hashing.Hash(demo.Password),
                AcceptedTermsVersion = terms.Value.Version,
                TermsAcceptedAt = now,
                Email = "demo@example.jp",
                EmailVerifiedAt = now,
                OtpMethod = OtpMethod.Email,
                EmailOtpEnabledAt = now,
                RecoveryCodesSavedAt = now,
                CreatedAt = now,
            });
            logger.LogInformation("Demo member {UserId} created (password in appsettings.Development.json)", demo.UserId);
        }

        if (await AbsentAsync(demo.FirstLoginUserId, cancellationToken))
        {
            db.Members.Add(new Member
            {
                UserId = demo.FirstLoginUserId,
                NormalizedUserId = Member.Normalize(demo.FirstLoginUserId),
                DisplayName = "デモ 花子",
                Symbol = "123",
                Number = "4567",
                BirthDate = new DateOnly(1984, 10, 7),
                JoinedOn = new DateOnly(2012, 4, 1),
                PasswordMustChange = true,
                CreatedAt = now,
            });
            // No password in the log, not even a demo one: the rule (記号+番号+生年月日) and the README say it.
            logger.LogInformation("Demo member {UserId} created for the first-login journey (initial password by the roster rule, see README)", demo.FirstLoginUserId);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<bool> AbsentAsync(string userId, CancellationToken cancellationToken)
    {
        var normalized = Member.Normalize(userId);
        return !await db.Members.AnyAsync(m => m.NormalizedUserId == normalized, cancellationToken);
    }
}

public sealed class DemoDataOptions
{
    public const string Section = "DemoData";

    public bool Enabled { get; set; }

    public string UserId { get; set; } = "demo";

    public string Password { get; set; } = "";

    public string DisplayName { get; set; } = "デモ 太郎";

    /// <summary>A roster member who has not logged in yet, to walk the first-login journey.</summary>
    public string FirstLoginUserId { get; set; } = "first";
}

internal sealed class DemoDataValidation(IHostEnvironment environment) : IValidateOptions<DemoDataOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoDataOptions options) =>
        !options.Enabled ? ValidateOptionsResult.Success
        : !environment.IsDevelopment() ? ValidateOptionsResult.Fail("DemoData can only be enabled in Development.")
        : options.Password.Length < 8 ? ValidateOptionsResult.Fail("DemoData:Password needs at least 8 characters.")
        : ValidateOptionsResult.Success;
}

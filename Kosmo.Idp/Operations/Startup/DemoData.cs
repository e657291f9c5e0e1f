using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Startup;

/// <summary>A member to sign in with on a fresh Development machine. Refused outside Development.</summary>
public sealed class DemoData(
    KosmoDbContext db, PasswordHashing hashing, IOptions<DemoDataOptions> options, TimeProvider time, ILogger<DemoData> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        var demo = options.Value;
        if (!demo.Enabled)
        {
            return;
        }

        var normalized = Member.Normalize(demo.UserId);
        if (await db.Members.AnyAsync(m => m.NormalizedUserId == normalized, cancellationToken))
        {
            return;
        }

        db.Members.Add(new Member
        {
            UserId = demo.UserId,
            NormalizedUserId = normalized,
            DisplayName = demo.DisplayName,
            PasswordHash = hashing.Hash(demo.Password),
            CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Demo member {UserId} created (password in appsettings.Development.json)", demo.UserId);
    }
}

public sealed class DemoDataOptions
{
    public const string Section = "DemoData";

    public bool Enabled { get; set; }

    public string UserId { get; set; } = "demo";

    public string Password { get; set; } = "";

    public string DisplayName { get; set; } = "デモ 太郎";
}

internal sealed class DemoDataValidation(IHostEnvironment environment) : IValidateOptions<DemoDataOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoDataOptions options) =>
        !options.Enabled ? ValidateOptionsResult.Success
        : !environment.IsDevelopment() ? ValidateOptionsResult.Fail("DemoData can only be enabled in Development.")
        : options.Password.Length < 8 ? ValidateOptionsResult.Fail("DemoData:Password needs at least 8 characters.")
        : ValidateOptionsResult.Success;
}

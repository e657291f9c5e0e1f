using Kosmo.Idp.Localization;
using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Kosmo.Idp.Journey.NewPassword;

/// <summary>Manual p.3 [9]: the member replaces the initial password with one of their own.</summary>
public sealed class NewPasswordModel(
    KosmoDbContext db, MemberJourney journey, PasswordPolicy policy, PasswordHashing hashing, AuditLog audit,
    TimeProvider time, IStringLocalizer<Strings> text) : JourneyPageModel(db, journey)
{
    protected override JourneyStep Step => JourneyStep.NewPassword;

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? Confirmation { get; set; }

    public PasswordPolicyOptions Rules => policy.Rules;

    public string UserId => Member.UserId;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await EnterAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (await EnterAsync(cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        var password = Password ?? "";
        var problems = NewPasswordForm.Check(policy, Member, password, Confirmation, ModelState, nameof(Password), nameof(Confirmation), text);
        if (problems.Count > 0)
        {
            audit.Record(AuditKinds.PasswordRefused, Member.Id, string.Join(", ", problems));
            await Db.SaveChangesAsync(cancellationToken);
            return Page();
        }

        var now = time.GetUtcNow();
        Member.PasswordHash = hashing.Hash(password);
        Member.PasswordMustChange = false;
        Member.PasswordChangedAt = now;
        Member.UpdatedAt = now;
        audit.Record(AuditKinds.PasswordChanged, Member.Id, "first login");
        await Db.SaveChangesAsync(cancellationToken);
        return Continue();
    }
}

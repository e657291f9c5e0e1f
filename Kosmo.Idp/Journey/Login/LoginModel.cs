using System.ComponentModel.DataAnnotations;
using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Journey.Login;

[EnableRateLimiting(LoginRateLimit.Policy)]
public sealed class LoginModel(
    KosmoDbContext db, PasswordHashing hashing, SignInLockout lockout, TimeProvider time, ILogger<LoginModel> logger) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty, Required(ErrorMessage = "ユーザIDを入力してください。"), MaxLength(64, ErrorMessage = "ユーザIDが長すぎます。")]
    public string UserId { get; set; } = "";

    [BindProperty, Required(ErrorMessage = "パスワードを入力してください。"), MaxLength(256, ErrorMessage = "パスワードが長すぎます。")]
    public string Password { get; set; } = "";

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var now = time.GetUtcNow();
        var normalized = Member.Normalize(UserId);
        var throttle = await db.SignInThrottles.FindAsync([normalized], cancellationToken);
        if (SignInLockout.RemainingLock(throttle, now) is { } remaining)
        {
            logger.LogWarning("Sign-in refused: user ID locked for {Minutes} more minute(s)", Math.Ceiling(remaining.TotalMinutes));
            Error = LockedMessage(remaining);
            return Page();
        }

        var member = await db.Members.FirstOrDefaultAsync(m => m.NormalizedUserId == normalized, cancellationToken);
        var check = hashing.Verify(member?.PasswordHash, Password);
        if (member is null || check == PasswordCheck.Wrong)
        {
            throttle ??= db.SignInThrottles.Add(new SignInThrottle { NormalizedUserId = normalized }).Entity;
            lockout.RecordFailure(throttle, now);
            await db.SaveChangesAsync(cancellationToken);
            logger.LogWarning("Sign-in failed: wrong user ID or password (failure {Count})", throttle.FailedCount);
            Error = SignInLockout.RemainingLock(throttle, now) is { } locked
                ? LockedMessage(locked)
                : "ユーザIDまたはパスワードが正しくありません。 (The user ID or password is incorrect.)";
            return Page();
        }

        if (check == PasswordCheck.CorrectButOutdated)
        {
            member.PasswordHash = hashing.Hash(Password);
            logger.LogInformation("Password hash of member {MemberId} upgraded to current parameters", member.Id);
        }

        if (throttle is not null)
        {
            db.SignInThrottles.Remove(throttle);
        }

        await db.SaveChangesAsync(cancellationToken);
        await MemberSession.AfterPassword(member, now).SignInAsync(HttpContext);
        logger.LogInformation("Member {MemberId} signed in with password", member.Id);

        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }

    private static string LockedMessage(TimeSpan remaining) =>
        $"ログインに続けて失敗したため、一時的にログインできません。{Math.Ceiling(remaining.TotalMinutes)}分後にもう一度お試しください。" +
        "パスワードがわからない場合は健康保険組合にお問い合わせください。 " +
        $"(Too many failed attempts. Try again in {Math.Ceiling(remaining.TotalMinutes)} minute(s), or contact the society if you do not know your password.)";
}

using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OtpNet;
using QRCoder;

namespace Kosmo.Idp.Journey.Otp;

/// <summary>
/// RFC 6238 codes through Otp.NET: 160-bit secrets, SHA-1, 6 digits, 30 s (what Google and
/// Microsoft Authenticator and the Chrome and Edge extensions all read). Secrets are encrypted
/// with Data Protection, whose keys live in the database protected by the operator's certificate.
/// </summary>
public sealed class TotpAuthenticator(KosmoDbContext db, IDataProtectionProvider protection, IOptions<OtpOptions> options, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Kosmo.Idp.Members.Otp.TotpSecret.v1");

    /// <summary>
    /// The member's device being set up: the same one until confirmed or the member signs in again,
    /// so the QR code does not change on reload (<see cref="ForgetUnfinishedSetupsAsync"/>).
    /// </summary>
    public async Task<TotpDevice> PendingDeviceAsync(Member member, CancellationToken cancellationToken)
    {
        var pending = await db.TotpDevices.FirstOrDefaultAsync(d => d.MemberId == member.Id && d.ConfirmedAt == null && d.ReplacedAt == null, cancellationToken);
        if (pending is not null)
        {
            return pending;
        }

        pending = db.TotpDevices.Add(new TotpDevice
        {
            MemberId = member.Id,
            ProtectedSecret = _protector.Protect(Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20))),
            CreatedAt = time.GetUtcNow(),
        }).Entity;
        await db.SaveChangesAsync(cancellationToken);
        return pending;
    }

    /// <summary>
    /// Puts the member's app setup left unfinished away (at a new sign-in): a key shown on a screen
    /// and abandoned, on a shared PC or in a saved kosmo-web-otp.png, would otherwise come back at the
    /// next setup, and whoever copied it would then read the member's codes once the member finishes it.
    /// The latest one put away is kept (<see cref="TotpDevice.ReplacedAt"/>), never to be confirmed,
    /// so that a code from it is told apart from a wrong one (<see cref="IsFromAReplacedKeyAsync"/>).
    /// </summary>
    public static async Task<int> ForgetUnfinishedSetupsAsync(KosmoDbContext db, Guid memberId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var unfinished = db.TotpDevices.Where(d => d.MemberId == memberId && d.ConfirmedAt == null);
        if (!await unfinished.AnyAsync(d => d.ReplacedAt == null, cancellationToken))
        {
            return 0;
        }

        await unfinished.Where(d => d.ReplacedAt != null).ExecuteDeleteAsync(cancellationToken);
        return await unfinished.ExecuteUpdateAsync(set => set.SetProperty(d => d.ReplacedAt, now), cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="code"/> is the current code of the key a new sign-in put away: the
    /// member registered that key in an app before signing in again. Such a code confirms nothing.
    /// </summary>
    public async Task<bool> IsFromAReplacedKeyAsync(Guid memberId, string code, CancellationToken cancellationToken)
    {
        var replaced = await db.TotpDevices.AsNoTracking()
            .Where(d => d.MemberId == memberId && d.ConfirmedAt == null && d.ReplacedAt != null)
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        return replaced.Any(device =>
            new Totp(Base32Encoding.ToBytes(SecretOf(device))).VerifyTotp(now, code, out _, new VerificationWindow(previous: 1, future: 0)));
    }

    /// <summary>The key in Base32, as members type it into an app: groups of four.</summary>
    public string KeyForDisplay(TotpDevice device) =>
        string.Join(' ', SecretOf(device).Chunk(4).Select(chunk => new string(chunk)));

    // Six pixels a module: a typical key's code (49 modules with its quiet zone) is 294 pixels,
    // large enough to scan from a monitor and narrow enough for a phone's screen.
    private const int QrPixelsPerModule = 6;

    public string OtpAuthUri(Member member, TotpDevice device)
    {
        var issuer = options.Value.Issuer;
        var label = Uri.EscapeDataString(issuer) + ":" + Uri.EscapeDataString(member.UserId);
        return $"otpauth://totp/{label}?secret={SecretOf(device)}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits=6&period=30";
    }

    /// <summary>The QR code as a PNG, <see cref="QrCodeSize"/> pixels wide and high.</summary>
    public byte[] QrCodePng(string otpAuthUri)
    {
        using var data = QrData(otpAuthUri);
        return new PngByteQRCode(data).GetGraphic(QrPixelsPerModule);
    }

    /// <summary>
    /// The QR code's width in pixels (quiet zone included), without drawing it. The page shows the
    /// image at exactly that size: each module then covers whole pixels, so a camera pointed at the
    /// screen sees sharp edges instead of modules scaled to uneven widths.
    /// </summary>
    public int QrCodeSize(string otpAuthUri)
    {
        using var data = QrData(otpAuthUri);
        return data.ModuleMatrix.Count * QrPixelsPerModule;
    }

    private static QRCodeData QrData(string otpAuthUri)
    {
        using var generator = new QRCodeGenerator();
        return generator.CreateQrCode(otpAuthUri, QRCodeGenerator.ECCLevel.M);
    }

    /// <summary>
    /// Accepts a code of this step or the one before (clock drift), once: the device's last used
    /// step is raised in one conditional update, so of two requests with the same code exactly one wins.
    /// A code of a step already used (or older) is <see cref="TotpCheck.AlreadyUsed"/>, not wrong: the
    /// member who signs in again within the same half minute typed what the app shows, and is told
    /// to wait for the next code rather than that it is wrong.
    /// </summary>
    public async Task<TotpCheck> VerifyAsync(TotpDevice device, string code, CancellationToken cancellationToken)
    {
        var totp = new Totp(Base32Encoding.ToBytes(SecretOf(device)));
        if (!totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 0)))
        {
            return TotpCheck.Wrong;
        }

        var now = time.GetUtcNow();
        var won = await db.TotpDevices
            .Where(d => d.Id == device.Id && (d.LastUsedStep == null || d.LastUsedStep < step))
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.LastUsedStep, step).SetProperty(d => d.LastUsedAt, now), cancellationToken);
        return won == 1 ? TotpCheck.Accepted : TotpCheck.AlreadyUsed;
    }

    /// <summary>Tries each of the member's confirmed devices: accepted by one, else already used on one, else wrong.</summary>
    public async Task<TotpCheck> VerifyAnyAsync(Guid memberId, string code, CancellationToken cancellationToken)
    {
        var devices = await db.TotpDevices.AsNoTracking()
            .Where(d => d.MemberId == memberId && d.ConfirmedAt != null)
            .ToListAsync(cancellationToken);
        var result = TotpCheck.Wrong;
        foreach (var device in devices)
        {
            switch (await VerifyAsync(device, code, cancellationToken))
            {
                case TotpCheck.Accepted:
                    return TotpCheck.Accepted;
                case TotpCheck.AlreadyUsed:
                    result = TotpCheck.AlreadyUsed;
                    break;
            }
        }

        return result;
    }

    private string SecretOf(TotpDevice device) => _protector.Unprotect(device.ProtectedSecret);
}

public enum TotpCheck
{
    Wrong,
    Accepted,
    AlreadyUsed,
}

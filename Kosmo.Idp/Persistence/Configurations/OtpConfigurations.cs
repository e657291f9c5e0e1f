using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class TotpDeviceConfiguration : IEntityTypeConfiguration<TotpDevice>
{
    public void Configure(EntityTypeBuilder<TotpDevice> device)
    {
        device.ToTable("totp_devices");
        device.HasKey(d => d.Id);
        device.Property(d => d.Name).HasMaxLength(TotpDevice.MaxNameLength);
        device.Property(d => d.ProtectedSecret).HasMaxLength(1000);
        device.HasIndex(d => d.MemberId);
        device.HasOne<Member>().WithMany().HasForeignKey(d => d.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class EmailOtpChallengeConfiguration : IEntityTypeConfiguration<EmailOtpChallenge>
{
    public void Configure(EntityTypeBuilder<EmailOtpChallenge> challenge)
    {
        challenge.ToTable("email_otp_challenges");
        challenge.HasKey(c => c.Id);
        challenge.Property(c => c.CodeHash).HasMaxLength(32);
        // One live code per member.
        challenge.HasIndex(c => c.MemberId).IsUnique();
        challenge.HasOne<Member>().WithMany().HasForeignKey(c => c.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> code)
    {
        code.ToTable("recovery_codes");
        code.HasKey(c => c.Id);
        code.Property(c => c.CodeHash).HasMaxLength(32);
        code.HasIndex(c => new { c.MemberId, c.CodeHash }).IsUnique();
        code.HasOne<Member>().WithMany().HasForeignKey(c => c.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

using Kosmo.Idp.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class MemberConfiguration : IEntityTypeConfiguration<Member>
{
    public void Configure(EntityTypeBuilder<Member> member)
    {
        member.ToTable("members");
        member.HasKey(m => m.Id);
        member.Property(m => m.UserId).HasMaxLength(64);
        member.Property(m => m.NormalizedUserId).HasMaxLength(64);
        member.HasIndex(m => m.NormalizedUserId).IsUnique();
        member.Property(m => m.DisplayName).HasMaxLength(200);
        member.Property(m => m.Symbol).HasMaxLength(16);
        member.Property(m => m.Number).HasMaxLength(16);
        member.Property(m => m.RosterEmail).HasMaxLength(254);
        member.Property(m => m.PasswordHash).HasMaxLength(200);
        member.Property(m => m.LockReason).HasConversion<string>().HasMaxLength(32);
        member.Property(m => m.AcceptedTermsVersion).HasMaxLength(64);
        member.Property(m => m.Email).HasMaxLength(254);
        member.Property(m => m.WrongBirthDateStamp).HasMaxLength(64);
        member.Property(m => m.OtpMethod).HasConversion<string>().HasMaxLength(16);
        member.Property(m => m.CodeSessionId).HasMaxLength(64);
        member.Property(m => m.RecoveryCodesAskedBy).HasMaxLength(64);
        member.Property(m => m.CodeSessionMethod).HasMaxLength(16);
        member.Ignore(m => m.IsLocked);
        member.Ignore(m => m.HasSecondFactor);
    }
}

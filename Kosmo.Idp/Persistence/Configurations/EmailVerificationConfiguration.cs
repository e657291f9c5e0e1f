using Kosmo.Idp.Journey.Email;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class EmailVerificationConfiguration : IEntityTypeConfiguration<EmailVerification>
{
    public void Configure(EntityTypeBuilder<EmailVerification> verification)
    {
        verification.ToTable("email_verifications");
        verification.HasKey(v => v.Id);
        verification.Property(v => v.Email).HasMaxLength(254);
        verification.Property(v => v.TokenHash).HasMaxLength(32);
        verification.HasIndex(v => v.TokenHash).IsUnique();
        verification.HasIndex(v => v.MemberId);
        verification.HasOne(v => v.Member).WithMany().HasForeignKey(v => v.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

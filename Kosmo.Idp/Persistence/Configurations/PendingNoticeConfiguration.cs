using Kosmo.Idp.Mail.Notices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class PendingNoticeConfiguration : IEntityTypeConfiguration<PendingNotice>
{
    public void Configure(EntityTypeBuilder<PendingNotice> notice)
    {
        notice.ToTable("pending_notices");
        notice.HasKey(n => n.Id);
        notice.Property(n => n.To).HasMaxLength(254);
        // By name: a notice saved before an upgrade that reorders the kinds still says the same thing.
        notice.Property(n => n.Notice).HasConversion<string>().HasMaxLength(40);
        notice.Property(n => n.LastFailure).HasMaxLength(200);
        notice.HasIndex(n => n.NextAttemptAt);
        notice.HasOne<Members.Member>().WithMany().HasForeignKey(n => n.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

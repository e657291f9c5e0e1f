using Kosmo.Idp.Protocol.Logout;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class LogoutNoticeConfiguration : IEntityTypeConfiguration<LogoutNotice>
{
    public void Configure(EntityTypeBuilder<LogoutNotice> notice)
    {
        notice.ToTable("logout_notices");
        notice.HasKey(n => n.Id);
        notice.Property(n => n.ApplicationId).HasMaxLength(100);
        notice.Property(n => n.Subject).HasMaxLength(100);
        notice.Property(n => n.SessionId).HasMaxLength(100);
        notice.Property(n => n.Issuer).HasMaxLength(400);
        notice.Property(n => n.LastFailure).HasMaxLength(100);
        notice.HasIndex(n => n.NextAttemptAt);
    }
}

using Kosmo.Idp.Journey;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class EndedSessionConfiguration : IEntityTypeConfiguration<EndedSession>
{
    public void Configure(EntityTypeBuilder<EndedSession> ended)
    {
        ended.ToTable("ended_sessions");
        ended.HasKey(e => e.SessionId);
        ended.Property(e => e.SessionId).HasMaxLength(64);
        ended.HasIndex(e => e.EndedAt);
    }
}

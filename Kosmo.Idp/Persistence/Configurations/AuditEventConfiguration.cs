using Kosmo.Idp.Operations.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> audit)
    {
        audit.ToTable("audit_events");
        audit.HasKey(a => a.Id);
        audit.Property(a => a.Kind).HasMaxLength(64);
        audit.Property(a => a.Detail).HasMaxLength(Operations.Audit.AuditLog.MaximumDetailLength);
        audit.Property(a => a.RemoteAddress).HasMaxLength(64);
        // Operators look events up by member and time, and prune by time.
        audit.HasIndex(a => new { a.MemberId, a.OccurredAt });
        audit.HasIndex(a => a.OccurredAt);
    }
}

using Kosmo.Idp.Protocol.Keys;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class ProtocolKeyConfiguration : IEntityTypeConfiguration<ProtocolKey>
{
    public void Configure(EntityTypeBuilder<ProtocolKey> key)
    {
        key.ToTable("protocol_keys");
        key.HasKey(k => new { k.Purpose, k.Generation });
        key.Property(k => k.Purpose).HasConversion<string>().HasMaxLength(32);
        key.Property(k => k.KeyId).HasMaxLength(64);
        key.HasIndex(k => k.KeyId).IsUnique();
    }
}

using Kosmo.Idp.Journey.Password;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class AddressPostCountConfiguration : IEntityTypeConfiguration<AddressPostCount>
{
    public void Configure(EntityTypeBuilder<AddressPostCount> count)
    {
        // AddressThrottle's upsert names this table and its columns in SQL.
        count.ToTable("address_post_counts");
        count.HasKey(c => c.Address);
        // An IPv6 /64 in text is at most 43 characters.
        count.Property(c => c.Address).HasMaxLength(64);
        count.HasIndex(c => c.WindowMinute);
    }
}

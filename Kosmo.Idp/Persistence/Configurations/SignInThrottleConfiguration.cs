using Kosmo.Idp.Members;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kosmo.Idp.Persistence.Configurations;

internal sealed class SignInThrottleConfiguration : IEntityTypeConfiguration<SignInThrottle>
{
    public void Configure(EntityTypeBuilder<SignInThrottle> throttle)
    {
        throttle.ToTable("sign_in_throttles");
        throttle.HasKey(t => t.NormalizedUserId);
        throttle.Property(t => t.NormalizedUserId).HasMaxLength(64);
    }
}

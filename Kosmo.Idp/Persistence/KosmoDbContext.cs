using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Journey.Password;
using Kosmo.Idp.Members;
using Kosmo.Idp.Members.Otp;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Protocol.Keys;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

/// <summary>
/// The one database: members, their email verifications and audit trail, OpenIddict's applications/authorizations/scopes/tokens, signing
/// keys and the Data Protection key ring. Each provider has its own subclass so that each keeps
/// its own migrations.
/// </summary>
public abstract class KosmoDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Member> Members => Set<Member>();

    public DbSet<SignInThrottle> SignInThrottles => Set<SignInThrottle>();

    public DbSet<AddressPostCount> AddressPostCounts => Set<AddressPostCount>();

    public DbSet<EmailVerification> EmailVerifications => Set<EmailVerification>();

    public DbSet<TotpDevice> TotpDevices => Set<TotpDevice>();

    public DbSet<EmailOtpChallenge> EmailOtpChallenges => Set<EmailOtpChallenge>();

    public DbSet<RecoveryCode> RecoveryCodes => Set<RecoveryCode>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<ProtocolKey> ProtocolKeys => Set<ProtocolKey>();

    public DbSet<Journey.EndedSession> EndedSessions => Set<Journey.EndedSession>();

    public DbSet<Protocol.Logout.LogoutNotice> LogoutNotices => Set<Protocol.Logout.LogoutNotice>();

    public DbSet<Mail.Notices.PendingNotice> PendingNotices => Set<Mail.Notices.PendingNotice>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>
    /// Whether this is the PostgreSQL store (the alternative is the development SQLite file).
    /// Asked of the context's type rather than by EF Core's IsNpgsql(), which would load the
    /// PostgreSQL provider's assembly into a process that runs on SQLite.
    /// </summary>
    public bool OnPostgres => this is PostgresKosmoDbContext;

    /// <summary>A transaction of this context committed, with its id (<see cref="CommittedTransactions"/>).</summary>
    internal event Action<Guid>? TransactionCommitted;

    internal void OnTransactionCommitted(Guid transactionId) => TransactionCommitted?.Invoke(transactionId);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(KosmoDbContext).Assembly);
    }
}

using Kosmo.Idp.Members;
using Kosmo.Idp.Operations.Audit;
using Kosmo.Idp.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// `members import`: brings the members table in line with the society's roster. Creates the
/// members the roster adds, corrects the roster columns of those it already had, and leaves alone
/// everything a member chose (password, address, one-time-password method, terms) and members the
/// file does not mention. All of it is written in one transaction, or nothing is.
/// </summary>
public sealed class RosterImporter(
    KosmoDbContext db,
    AuditLog audit,
    InitialPasswords initialPasswords,
    DatabaseMigrator migrator,
    IOptions<RosterOptions> options,
    TimeProvider time,
    ILogger<RosterImporter> logger)
{
    // Large enough that round trips don't dominate, small enough that the change tracker stays cheap.
    private const int BatchSize = 2000;

    public async Task<RosterImportResult> ImportAsync(
        RosterImportRequest request, TextWriter output, TextWriter errors, bool showProgress, CancellationToken cancellationToken)
    {
        var noticePath = request.NoticesPath is { } chosen ? Path.GetFullPath(chosen) : CredentialsNotice.DefaultPath(time.GetLocalNow());
        if (File.Exists(noticePath))
        {
            await errors.WriteLineAsync($"The notice file {noticePath} already exists; it is never overwritten. Move it or choose another with --notices.");
            return RosterImportResult.Failed();
        }

        RosterFileContent content;
        try
        {
            content = RosterFile.Read(request.FilePath, request.Encoding);
        }
        catch (RosterFileException e)
        {
            await errors.WriteLineAsync(e.Message);
            return RosterImportResult.Failed();
        }

        var (valid, invalid) = RosterRowValidation.Validate(content.Rows, DateOnly.FromDateTime(time.GetLocalNow().DateTime));
        var rejected = content.Malformed.Concat(invalid).OrderBy(r => r.Line).ToList();
        await output.WriteLineAsync($"Read {content.Rows.Count + content.Malformed.Count} lines from {request.FilePath} ({content.EncodingName}).");
        foreach (var rejection in rejected)
        {
            await errors.WriteLineAsync($"line {rejection.Line}: {rejection.Reason}");
        }

        if (!await migrator.IsSchemaCurrentAsync(cancellationToken))
        {
            await errors.WriteLineAsync("The database schema is not current; run `migrate` first.");
            return RosterImportResult.Failed();
        }

        var plan = await PlanAsync(valid, cancellationToken);
        var refused = rejected.Count > 0 && !request.ApplyValid;
        var exitCode = refused ? RosterImportExit.Failed
            : rejected.Count > 0 ? RosterImportExit.AppliedWithRejections
            : RosterImportExit.Success;
        var result = new RosterImportResult(exitCode, false, plan.Created.Count, plan.Updated.Count, plan.Unchanged, rejected.Count,
            plan.NotInFile, plan.Created.Count(c => c.Password is not null), null);

        if (refused || request.DryRun)
        {
            var why = refused
                ? $"Nothing was applied because {rejected.Count} line(s) were rejected; fix them, or add --apply-valid to load the {valid.Count} valid line(s)."
                : "Dry run: nothing was written.";
            await output.WriteLineAsync(why);
            await output.WriteLineAsync($"Would have: {Summary(result)}, {result.RandomPasswords} random password(s) to issue");
            return result;
        }

        if (result.RandomPasswords > 0)
        {
            // Written before the commit: a notice without members is deleted below, but members
            // whose only copy of the password was lost could not sign in.
            CredentialsNotice.Write(noticePath, plan.Created.Where(c => c.Password is not null).Select(c =>
                new CredentialsNoticeLine(c.Member.UserId, c.Member.DisplayName!, c.Member.Symbol!, c.Member.Number!, c.Password!)));
        }

        try
        {
            await SaveAsync(plan, output, showProgress, cancellationToken);
        }
        catch
        {
            if (result.RandomPasswords > 0)
            {
                File.Delete(noticePath);
            }

            throw;
        }

        result = result with { Applied = true, NoticePath = result.RandomPasswords > 0 ? noticePath : null };
        await output.WriteLineAsync(Summary(result));
        await output.WriteLineAsync(result.NoticePath is { } path
            ? $"Credentials notice for {result.RandomPasswords} new member(s): {path} (readable by you only; print the notices, then delete it)."
            : "No credentials notice: no member was given a random password.");
        logger.LogInformation(
            "Roster {RosterFile} loaded: created {Created}, updated {Updated}, unchanged {Unchanged}, rejected {Rejected}, not in file {NotInFile}, random passwords {RandomPasswords}",
            Path.GetFileName(request.FilePath), result.Created, result.Updated, result.Unchanged, result.Rejected, result.NotInFile, result.RandomPasswords);
        return result;
    }

    private static string Summary(RosterImportResult r) =>
        $"created {r.Created}, updated {r.Updated}, unchanged {r.Unchanged}, rejected {r.Rejected}, not in file {r.NotInFile}";

    private async Task<RosterPlan> PlanAsync(List<RosterEntry> entries, CancellationToken cancellationToken)
    {
        // One query instead of one per line; not tracked, so only the members that change are attached.
        var existing = await db.Members.AsNoTracking().ToDictionaryAsync(m => m.NormalizedUserId, cancellationToken);
        var now = time.GetUtcNow();
        var cutOff = options.Value.RulePasswordJoinedBefore;
        var plan = new RosterPlan();
        foreach (var entry in entries)
        {
            if (!existing.Remove(entry.NormalizedUserId, out var member))
            {
                var created = new Member
                {
                    UserId = entry.UserId,
                    NormalizedUserId = entry.NormalizedUserId,
                    DisplayName = entry.Name,
                    Symbol = entry.Symbol,
                    Number = entry.Number,
                    BirthDate = entry.BirthDate,
                    JoinedOn = entry.JoinedOn,
                    RosterEmail = entry.Email,
                    // Rule members keep a null hash: login derives their password from the columns above.
                    PasswordMustChange = true,
                    CreatedAt = now,
                };
                plan.Created.Add(new CreatedMember(created, entry.JoinedOn < cutOff ? null : InitialPasswords.Generate()));
                continue;
            }

            var changed = Apply(member, entry);
            if (changed.Count == 0)
            {
                plan.Unchanged++;
                continue;
            }

            member.UpdatedAt = now;
            plan.Updated.Add(new UpdatedMember(member, changed));
        }

        plan.NotInFile = existing.Count;
        return plan;
    }

    /// <summary>Copies the roster columns only; returns the names of those that differed.</summary>
    private static List<string> Apply(Member member, RosterEntry entry)
    {
        var changed = new List<string>();
        Set(member.DisplayName, entry.Name, v => member.DisplayName = v, nameof(Member.DisplayName));
        Set(member.Symbol, entry.Symbol, v => member.Symbol = v, nameof(Member.Symbol));
        Set(member.Number, entry.Number, v => member.Number = v, nameof(Member.Number));
        Set(member.BirthDate, entry.BirthDate, v => member.BirthDate = v, nameof(Member.BirthDate));
        Set(member.JoinedOn, entry.JoinedOn, v => member.JoinedOn = v, nameof(Member.JoinedOn));
        Set(member.RosterEmail, entry.Email, v => member.RosterEmail = v, nameof(Member.RosterEmail));
        return changed;

        void Set<T>(T current, T wanted, Action<T> assign, string property)
        {
            if (!EqualityComparer<T>.Default.Equals(current, wanted))
            {
                assign(wanted);
                changed.Add(property);
            }
        }
    }

    private void HashPasswords(List<CreatedMember> withPassword)
    {
        var hashes = initialPasswords.HashAll(withPassword.Select(c => c.Password!).ToList());
        for (var i = 0; i < withPassword.Count; i++)
        {
            withPassword[i].Member.PasswordHash = hashes[i];
        }
    }

    private async Task SaveAsync(RosterPlan plan, TextWriter output, bool showProgress, CancellationToken cancellationToken)
    {
        var total = plan.Created.Count + plan.Updated.Count;
        var progress = new RosterProgress(output, showProgress, "Saving members", total);
        var autoDetect = db.ChangeTracker.AutoDetectChangesEnabled;
        // Every entity below gets its state set explicitly, so scanning for changes would be wasted work.
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var done = 0;
            var pending = 0;
            // Argon2id takes tens of milliseconds a password: hashing runs on the other cores while
            // the members without one are written, and the members with one are written last.
            var withPassword = plan.Created.Where(c => c.Password is not null).ToList();
            var hashing = Task.Run(() => HashPasswords(withPassword), cancellationToken);
            foreach (var created in plan.Created.Where(c => c.Password is null))
            {
                await AddAsync(created);
            }

            foreach (var updated in plan.Updated)
            {
                var entry = db.Members.Attach(updated.Member);
                foreach (var property in updated.Changed.Append(nameof(Member.UpdatedAt)))
                {
                    entry.Property(property).IsModified = true;
                }

                audit.Record(AuditKinds.RosterMemberUpdated, updated.Member.Id, "changed: " + string.Join(", ", updated.Changed));
                await FlushIfFullAsync();
            }

            await hashing;
            foreach (var created in withPassword)
            {
                await AddAsync(created);
            }

            await FlushAsync();
            await transaction.CommitAsync(cancellationToken);
            progress.Finish();

            async Task AddAsync(CreatedMember created)
            {
                db.Members.Add(created.Member);
                audit.Record(AuditKinds.RosterMemberCreated, created.Member.Id,
                    created.Password is null ? "initial password: roster rule" : "initial password: random, on the credentials notice");
                await FlushIfFullAsync();
            }

            async Task FlushIfFullAsync()
            {
                if (++pending >= BatchSize)
                {
                    await FlushAsync();
                }
            }

            async Task FlushAsync()
            {
                await db.SaveChangesAsync(cancellationToken);
                db.ChangeTracker.Clear();
                done += pending;
                pending = 0;
                progress.Report(done);
            }
        }
        finally
        {
            db.ChangeTracker.Clear();
            db.ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    private sealed record CreatedMember(Member Member, string? Password);

    private sealed record UpdatedMember(Member Member, List<string> Changed);

    private sealed class RosterPlan
    {
        public List<CreatedMember> Created { get; } = [];

        public List<UpdatedMember> Updated { get; } = [];

        public int Unchanged { get; set; }

        public int NotInFile { get; set; }
    }
}

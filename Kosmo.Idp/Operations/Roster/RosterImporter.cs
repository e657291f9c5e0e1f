using Kosmo.Idp.Journey.Email;
using Kosmo.Idp.Localization;
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
    // Large enough that round trips don't dominate (2 000 was no faster), small enough that the change
    // tracker and the batched commands stay small: an import shares its memory with other work.
    private const int BatchSize = 500;

    public async Task<RosterImportResult> ImportAsync(
        RosterImportRequest request, TextWriter output, TextWriter errors, bool showProgress, CancellationToken cancellationToken)
    {
        var noticePath = request.NoticesPath is { } chosen ? Path.GetFullPath(chosen) : CredentialsNotice.DefaultPath(time.GetLocalNow());
        RosterLines lines;
        try
        {
            lines = ReadAndValidate(request);
        }
        catch (RosterFileException e)
        {
            await errors.WriteLineAsync(e.Message);
            return RosterImportResult.Failed();
        }

        var (valid, rejected) = (lines.Valid, lines.Rejected);
        await output.WriteLineAsync($"Read {lines.Count} lines from {request.FilePath} ({lines.EncodingName}).");
        if (lines.UnreadColumns.Count > 0)
        {
            var addresses = lines.HasEmailColumn ? "" : " With no email (メールアドレス) column, members' roster addresses are left as they are.";
            await errors.WriteLineAsync($"Columns not read: {Shared.PlainText.Printable(string.Join(", ", lines.UnreadColumns))}. "
                + $"A roster's columns are user_id, symbol, number, birthdate, name, joined_on and email (or ユーザID, 記号, 番号, 生年月日, 氏名, 資格取得日, メールアドレス).{addresses}");
        }

        foreach (var rejection in rejected)
        {
            // The reason quotes the file, which comes from another office's system: nothing in it runs in the terminal.
            await errors.WriteLineAsync($"line {rejection.Line}: {Shared.PlainText.Printable(rejection.Reason)}");
        }

        RosterPlan plan;
        try
        {
            if (!await migrator.IsSchemaCurrentAsync(cancellationToken))
            {
                await errors.WriteLineAsync("The database schema is not current; run `migrate` first.");
                return RosterImportResult.Failed();
            }

            plan = await PlanAsync(valid, rejected, lines.HasEmailColumn, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await errors.WriteLineAsync("Interrupted: nothing was applied.");
            throw;
        }

        // --apply-valid with no valid line would "load" nothing and report a partial load (3).
        var refused = rejected.Count > 0 && (!request.ApplyValid || valid.Count == 0);
        var exitCode = refused ? RosterImportExit.Failed
            : rejected.Count > 0 ? RosterImportExit.AppliedWithRejections
            : RosterImportExit.Success;
        var result = new RosterImportResult(exitCode, false, plan.Created.Count, plan.Updated.Count, plan.Unchanged, rejected.Count,
            plan.NotInFile, plan.Created.Count(c => c.Password is not null), null);

        // Only an import that issues random passwords writes a notice, so only such an import stops for one.
        var noticeProblem = result.RandomPasswords > 0 ? NoticeProblem(noticePath) : null;
        if (refused || request.DryRun)
        {
            var why = !refused ? "Dry run: nothing was written."
                : valid.Count == 0 ? $"Nothing was applied because {rejected.Count} line(s) were rejected and none is valid; fix them."
                : $"Nothing was applied because {rejected.Count} line(s) were rejected; fix them, or add --apply-valid to load the {valid.Count} valid line(s).";
            await output.WriteLineAsync(why);
            await output.WriteLineAsync($"Would have: {Summary(result)}, {result.RandomPasswords} random password(s) to issue");
            if (request.DryRun && noticeProblem is not null)
            {
                // Not 0: a script gating the real run on the dry run would otherwise start a run that stops.
                await errors.WriteLineAsync($"The import itself would stop before changing anything: {noticeProblem}");
                return result with { ExitCode = RosterImportExit.Failed };
            }

            return result;
        }

        if (noticeProblem is not null)
        {
            await errors.WriteLineAsync($"Nothing was applied: {noticeProblem}");
            return RosterImportResult.Failed();
        }

        if (result.RandomPasswords > 0)
        {
            // Written before the commit: a notice without members is deleted below, but members
            // whose only copy of the password was lost could not sign in.
            try
            {
                CredentialsNotice.Write(noticePath, plan.Created.Where(c => c.Password is not null).Select(c =>
                    new CredentialsNoticeLine(c.Entry.UserId, c.Entry.Name, c.Entry.Symbol, c.Entry.Number, c.Password!)));
            }
            catch (Exception e) when (e is UnauthorizedAccessException or DirectoryNotFoundException or IOException)
            {
                // In a container the working folder is the application's, which its user may not write to.
                await errors.WriteLineAsync($"The notice file {noticePath} cannot be written ({e.Message}); nothing was applied. "
                    + "Name a writable place with --notices, e.g. --notices /tmp/notices.csv, and move the file off the machine after printing.");
                return RosterImportResult.Failed();
            }
        }

        RosterCorrections corrections;
        try
        {
            corrections = await SaveAsync(plan, output, showProgress, cancellationToken);
        }
        catch (Exception failure)
        {
            // Passwords no member will ever have: a notice printed from them would lock its readers out.
            if (result.RandomPasswords > 0)
            {
                File.Delete(noticePath);
            }

            // A failed database is named by the command's own "Failed:" line after this one.
            var deleted = result.RandomPasswords > 0 ? $", and the credentials notice {noticePath} was deleted" : "";
            if (DatabaseUnavailable.DuplicateKey(failure))
            {
                // Not a database that is down: the same user IDs were created by another import running at the same time.
                await errors.WriteLineAsync($"Nothing was applied{deleted}: some of these user IDs were created by another import while this one ran. "
                    + "Run the import again once the other has finished: it will find those members and update them.");
                return RosterImportResult.Failed();
            }

            await errors.WriteLineAsync(failure is OperationCanceledException ? $"Interrupted: nothing was applied{deleted}." : $"Nothing was applied{deleted}.");
            throw;
        }

        result = result with { Applied = true, NoticePath = result.RandomPasswords > 0 ? noticePath : null };
        await output.WriteLineAsync(Summary(result));
        if (corrections.SignedOut > 0)
        {
            await output.WriteLineAsync($"{corrections.SignedOut} member(s) still on the initial password signed out: their 記号, 番号 or birthdate changed, so the password they signed in with no longer exists.");
        }

        if (corrections.LinksWithdrawn > 0)
        {
            await output.WriteLineAsync($"{corrections.LinksWithdrawn} unopened confirmation link(s) to a roster address this file replaced withdrawn: those members confirm an address again at their next sign-in.");
        }

        await output.WriteLineAsync(result.NoticePath is { } path
            ? $"Credentials notice for {result.RandomPasswords} new member(s): {path} (readable by you only; print the notices, then delete it)."
            : "No credentials notice: no member was given a random password.");
        logger.LogInformation(
            "Roster {RosterFile} loaded: created {Created}, updated {Updated}, unchanged {Unchanged}, rejected {Rejected}, not in file {NotInFile}, random passwords {RandomPasswords}",
            Path.GetFileName(request.FilePath), result.Created, result.Updated, result.Unchanged, result.Rejected, result.NotInFile, result.RandomPasswords);
        return result;
    }

    /// <summary>What would keep the notice from being written where it was asked for, checked without writing it.</summary>
    private static string? NoticeProblem(string path)
    {
        if (Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
        {
            return $"--notices names the folder {path}: name the file, e.g. --notices {Path.Combine(path, "notices.csv")}.";
        }

        var folder = Path.GetDirectoryName(path)!;
        if (File.Exists(path))
        {
            return $"the notice file {path} already exists (it is never overwritten); move it or choose another with --notices.";
        }

        if (!Directory.Exists(folder))
        {
            return $"the folder of the notice file {path} does not exist; name a writable place with --notices.";
        }

        // In the image the working folder (the default place) belongs to root: found out before the
        // dry run says yes, not when the real run has read the whole file. The probe is gone at once.
        try
        {
            using var probe = new FileStream(Path.Combine(folder, $".kosmo-notice-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"the notice file {path} cannot be written there ({e.Message}); name a writable place with --notices, e.g. --notices /tmp/notices.csv.";
        }
    }

    private static string Summary(RosterImportResult r) =>
        $"created {r.Created}, updated {r.Updated}, unchanged {r.Unchanged}, rejected {r.Rejected}, not in file {r.NotInFile}";

    /// <summary>
    /// The file's rows are only needed until they are checked: an async method would keep them
    /// (its locals live as long as it runs), and a roster of 100 000 lines is tens of megabytes.
    /// </summary>
    private RosterLines ReadAndValidate(RosterImportRequest request)
    {
        var content = RosterFile.Read(request.FilePath, request.Encoding);
        var (valid, invalid) = RosterRowValidation.Validate(content.Rows, SocietyTime.Today(time.GetUtcNow()), content.Malformed);
        return new RosterLines(
            content.EncodingName, content.Rows.Count + content.Malformed.Count, valid, [.. content.Malformed.Concat(invalid).OrderBy(r => r.Line)],
            content.HasEmailColumn, content.UnreadColumns);
    }

    /// <summary>
    /// Compares the file with the roster columns only: whole members (thirty-odd columns each, for
    /// every member of the society) would cost the import several times the memory.
    /// A file without the email column keeps the addresses the roster gave earlier: it says nothing about them.
    /// </summary>
    private async Task<RosterPlan> PlanAsync(List<RosterEntry> entries, List<RosterRejection> rejected, bool hasEmailColumn, CancellationToken cancellationToken)
    {
        var existing = await db.Members.AsNoTracking()
            .Select(m => new RosterColumns(m.Id, m.NormalizedUserId, m.DisplayName, m.Symbol, m.Number, m.BirthDate, m.JoinedOn, m.RosterEmail))
            .ToDictionaryAsync(m => m.NormalizedUserId, cancellationToken);
        var cutOff = options.Value.RulePasswordJoinedBefore;
        var plan = new RosterPlan();
        foreach (var entry in entries)
        {
            if (!existing.Remove(entry.NormalizedUserId, out var member))
            {
                plan.Created.Add(new CreatedMember(entry, entry.JoinedOn < cutOff ? null : InitialPasswords.Generate()));
                continue;
            }

            var changed = Changed(member, entry, hasEmailColumn);
            if (changed.Count == 0)
            {
                plan.Unchanged++;
                continue;
            }

            // An address whose case alone changed is the same mailbox: its spelling is updated, its links stay.
            var replacedEmail = changed.Contains(nameof(Member.RosterEmail)) && !string.Equals(member.RosterEmail, entry.Email, StringComparison.OrdinalIgnoreCase)
                ? member.RosterEmail : null;
            plan.Updated.Add(new UpdatedMember(member.Id, entry, changed, replacedEmail));
        }

        // "Not in file" is how operators find leavers: a member whose line was refused is in the file.
        var named = rejected.Select(r => r.NormalizedUserId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        plan.NotInFile = existing.Keys.Count(id => !named.Contains(id));
        return plan;
    }

    /// <summary>The roster column each member property comes from: the audit names what the operator knows from the file.</summary>
    private static readonly Dictionary<string, string> ColumnOf = new()
    {
        [nameof(Member.DisplayName)] = "name", [nameof(Member.Symbol)] = "symbol", [nameof(Member.Number)] = "number",
        [nameof(Member.BirthDate)] = "birthdate", [nameof(Member.JoinedOn)] = "joined_on", [nameof(Member.RosterEmail)] = "email",
    };

    private static List<string> Changed(RosterColumns member, RosterEntry entry, bool hasEmailColumn)
    {
        var changed = new List<string>();
        Compare(member.DisplayName, entry.Name, nameof(Member.DisplayName));
        Compare(member.Symbol, entry.Symbol, nameof(Member.Symbol));
        Compare(member.Number, entry.Number, nameof(Member.Number));
        Compare(member.BirthDate, entry.BirthDate, nameof(Member.BirthDate));
        Compare(member.JoinedOn, entry.JoinedOn, nameof(Member.JoinedOn));
        if (hasEmailColumn)
        {
            Compare(member.RosterEmail, entry.Email, nameof(Member.RosterEmail));
        }

        return changed;

        void Compare<T>(T current, T wanted, string property)
        {
            if (!EqualityComparer<T>.Default.Equals(current, wanted))
            {
                changed.Add(property);
            }
        }
    }

    /// <summary>A member as the roster makes it: the rule or a random password, both to be changed at the first login.</summary>
    private static Member NewMember(RosterEntry entry, DateTimeOffset now) => new()
    {
        UserId = entry.UserId,
        NormalizedUserId = entry.NormalizedUserId,
        DisplayName = entry.Name,
        Symbol = entry.Symbol,
        Number = entry.Number,
        BirthDate = entry.BirthDate,
        JoinedOn = entry.JoinedOn,
        RosterEmail = entry.Email,
        PasswordMustChange = true,
        CreatedAt = now,
    };

    /// <summary>Only the roster columns that changed are written; the member's own choices are not even read.</summary>
    private void AttachUpdate(UpdatedMember updated, DateTimeOffset now)
    {
        var entry = db.Members.Attach(new Member
        {
            Id = updated.Id,
            UserId = updated.Entry.UserId,
            DisplayName = updated.Entry.Name,
            Symbol = updated.Entry.Symbol,
            Number = updated.Entry.Number,
            BirthDate = updated.Entry.BirthDate,
            JoinedOn = updated.Entry.JoinedOn,
            RosterEmail = updated.Entry.Email,
            UpdatedAt = now,
        });
        foreach (var property in updated.Changed.Append(nameof(Member.UpdatedAt)))
        {
            entry.Property(property).IsModified = true;
        }
    }

    /// <summary>
    /// A correction of the roster ends what the wrong value let happen. A member still on the initial
    /// password signed in with 記号+番号+生年月日 as they were: that password is gone, so is the
    /// session. A confirmation link mailed to the roster address the society now corrects went to
    /// the wrong mailbox, perhaps someone else's: opened, it would send the member's one-time
    /// passwords there. Addresses already confirmed are the member's choice and stay.
    /// </summary>
    private async Task<RosterCorrections> EndWhatCorrectionsReplacedAsync(List<UpdatedMember> updated, CancellationToken cancellationToken)
    {
        string[] cardColumns = [nameof(Member.Symbol), nameof(Member.Number), nameof(Member.BirthDate)];
        var signedOut = 0;
        foreach (var chunk in updated.Where(u => u.Changed.Intersect(cardColumns).Any()).Select(u => u.Id).Chunk(BatchSize))
        {
            var onInitialPassword = await db.Members.Where(m => chunk.Contains(m.Id) && m.PasswordHash == null).Select(m => m.Id).ToListAsync(cancellationToken);
            signedOut += await db.Members.Where(m => onInitialPassword.Contains(m.Id))
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.SessionVersion, m => m.SessionVersion + 1), cancellationToken);
            foreach (var id in onInitialPassword)
            {
                audit.Record(AuditKinds.SignedOutEverywhere, id, "roster correction: 記号, 番号 or birthdate changed while the member had the initial password");
            }
        }

        var withdrawn = 0;
        foreach (var chunk in updated.Where(u => u.ReplacedRosterEmail is not null).Chunk(BatchSize))
        {
            var replaced = chunk.ToDictionary(u => u.Id, u => u.ReplacedRosterEmail!);
            var ids = replaced.Keys.ToList();
            var pending = await db.EmailVerifications.AsNoTracking()
                .Live().Where(v => ids.Contains(v.MemberId))
                .Select(v => new { v.Id, v.MemberId, v.Email })
                .ToListAsync(cancellationToken);
            var toReplacedAddress = pending.Where(v => string.Equals(v.Email, replaced[v.MemberId], StringComparison.OrdinalIgnoreCase)).ToList();
            var linkIds = toReplacedAddress.Select(v => v.Id).ToList();
            // Opened in the meantime: confirmed by whoever had it, and the member's choice from then on.
            withdrawn += await db.EmailVerifications.Live().Where(v => linkIds.Contains(v.Id))
                .ExecuteDeleteAsync(cancellationToken);
            foreach (var memberId in toReplacedAddress.Select(v => v.MemberId).Distinct())
            {
                audit.Record(AuditKinds.EmailVerificationCancelled, memberId, "roster correction: the link went to the roster address this import replaced");
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return new RosterCorrections(signedOut, withdrawn);
    }

    private string[] HashPasswords(List<CreatedMember> withPassword, CancellationToken cancellationToken) =>
        initialPasswords.HashAll(withPassword.Select(c => c.Password!).ToList(), cancellationToken);

    private async Task<RosterCorrections> SaveAsync(RosterPlan plan, TextWriter output, bool showProgress, CancellationToken cancellationToken)
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
            var now = time.GetUtcNow();
            var withPassword = plan.Created.Where(c => c.Password is not null).ToList();
            var hashing = Task.Run(() => HashPasswords(withPassword, cancellationToken), cancellationToken);
            foreach (var created in plan.Created.Where(c => c.Password is null))
            {
                await AddAsync(NewMember(created.Entry, now), created.Password);
            }

            foreach (var updated in plan.Updated)
            {
                AttachUpdate(updated, now);
                audit.Record(AuditKinds.RosterMemberUpdated, updated.Id, "changed: " + string.Join(", ", updated.Changed.Select(property => ColumnOf[property])));
                await FlushIfFullAsync();
            }

            var hashes = await hashing;
            for (var i = 0; i < withPassword.Count; i++)
            {
                var member = NewMember(withPassword[i].Entry, now);
                member.PasswordHash = hashes[i];
                await AddAsync(member, withPassword[i].Password);
            }

            await FlushAsync();
            var corrections = await EndWhatCorrectionsReplacedAsync(plan.Updated, cancellationToken);
            // Not cancelled any more: a commit cut off after the database made it would have the
            // notice deleted below as if nothing had been applied, and its members' passwords lost.
            await transaction.CommitAsync(CancellationToken.None);
            progress.Finish();
            return corrections;

            async Task AddAsync(Member member, string? password)
            {
                db.Members.Add(member);
                audit.Record(AuditKinds.RosterMemberCreated, member.Id,
                    password is null ? "initial password: roster rule" : "initial password: random, on the credentials notice");
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
            progress.Finish();
            db.ChangeTracker.Clear();
            db.ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    private sealed record RosterLines(
        string EncodingName, int Count, List<RosterEntry> Valid, List<RosterRejection> Rejected, bool HasEmailColumn, IReadOnlyList<string> UnreadColumns);

    private sealed record RosterColumns(
        Guid Id, string NormalizedUserId, string? DisplayName, string? Symbol, string? Number, DateOnly? BirthDate, DateOnly? JoinedOn, string? RosterEmail);

    private sealed record CreatedMember(RosterEntry Entry, string? Password);

    private sealed record UpdatedMember(Guid Id, RosterEntry Entry, List<string> Changed, string? ReplacedRosterEmail);

    /// <summary>What a correction of the roster ended: see <see cref="EndWhatCorrectionsReplacedAsync"/>.</summary>
    private sealed record RosterCorrections(int SignedOut, int LinksWithdrawn);

    private sealed class RosterPlan
    {
        public List<CreatedMember> Created { get; } = [];

        public List<UpdatedMember> Updated { get; } = [];

        public int Unchanged { get; set; }

        public int NotInFile { get; set; }
    }
}

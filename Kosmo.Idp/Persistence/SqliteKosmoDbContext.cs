using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Kosmo.Idp.Persistence;

public sealed class SqliteKosmoDbContext(DbContextOptions<SqliteKosmoDbContext> options) : KosmoDbContext(options)
{
    // SQLite has no date type EF can compare in SQL; stored as sortable binary ticks instead.
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

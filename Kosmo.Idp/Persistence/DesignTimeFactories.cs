using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Kosmo.Idp.Persistence;

// Used only by `dotnet ef migrations add`; the connection is never opened.
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresKosmoDbContext>
{
    public PostgresKosmoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresKosmoDbContext>()
            .UseNpgsql("Host=localhost;Database=kosmo_design").UseSnakeCaseNamingConvention().UseOpenIddict().Options);
}

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteKosmoDbContext>
{
    public SqliteKosmoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteKosmoDbContext>()
            .UseSqlite("Data Source=design.db").UseSnakeCaseNamingConvention().UseOpenIddict().Options);
}

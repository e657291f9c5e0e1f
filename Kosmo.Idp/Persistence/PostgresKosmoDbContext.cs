using Microsoft.EntityFrameworkCore;

namespace Kosmo.Idp.Persistence;

public sealed class PostgresKosmoDbContext(DbContextOptions<PostgresKosmoDbContext> options) : KosmoDbContext(options);

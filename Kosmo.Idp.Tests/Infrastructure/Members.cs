using Kosmo.Idp.Members;
using Kosmo.Idp.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Kosmo.Idp.Tests.Infrastructure;

public static class TestMembers
{
    public static async Task<Member> AddAsync(KosmoFactory factory, string userId, string password, string? displayName = null, string? passwordHash = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KosmoDbContext>();
        var member = new Member
        {
            UserId = userId,
            NormalizedUserId = Member.Normalize(userId),
            DisplayName = displayName,
            PasswordHash = passwordHash ?? scope.ServiceProvider.GetRequiredService<PasswordHashing>().Hash(password),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Members.Add(member);
        await db.SaveChangesAsync();
        return member;
    }

    public static async Task<T> WithDbAsync<T>(KosmoFactory factory, Func<KosmoDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<KosmoDbContext>());
    }
}

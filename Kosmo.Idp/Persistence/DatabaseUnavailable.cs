using System.Data.Common;

namespace Kosmo.Idp.Persistence;

/// <summary>Whether a failure came from the database (down, unreachable, refusing), anywhere in its chain of causes.</summary>
public static class DatabaseUnavailable
{
    public static bool Caused(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or System.Net.Sockets.SocketException
                || e.GetType().Name is "RetryLimitExceededException")
            {
                return true;
            }
        }

        return false;
    }
}

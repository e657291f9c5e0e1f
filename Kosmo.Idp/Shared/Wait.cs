namespace Kosmo.Idp.Shared;

/// <summary>
/// A wait as people are told it: rounded up, never zero, so "try again in 0 minutes" cannot be
/// said while the lock still holds for a few seconds.
/// </summary>
public static class Wait
{
    public static int WholeMinutes(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes));

    public static int WholeSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
}

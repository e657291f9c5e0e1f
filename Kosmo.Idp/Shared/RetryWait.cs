namespace Kosmo.Idp.Shared;

/// <summary>How long to wait before trying a delivery again: doubling from the first wait, never longer than the longest.</summary>
public static class RetryWait
{
    /// <param name="attempts">Failed attempts so far, 1 after the first.</param>
    public static TimeSpan Doubling(TimeSpan first, int attempts, TimeSpan longest) =>
        TimeSpan.FromTicks(Math.Min(longest.Ticks, first.Ticks << Math.Clamp(attempts - 1, 0, 10)));
}

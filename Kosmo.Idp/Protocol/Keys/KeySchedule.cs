namespace Kosmo.Idp.Protocol.Keys;

/// <summary>
/// Which keys of one purpose are in use at a moment: the newest activated key is current; keys
/// not yet activated are announced; a superseded key is kept while tokens it produced may still
/// be presented (the retention, the longest token lifetime).
/// </summary>
public static class KeySchedule
{
    public static IReadOnlyList<ProtocolKey> InUse(IEnumerable<ProtocolKey> keys, DateTimeOffset now, TimeSpan retention)
    {
        var ordered = keys.OrderBy(k => k.Generation).ToList();
        var current = ordered.LastOrDefault(k => k.ActivatesAt <= now) ?? ordered.FirstOrDefault();
        if (current is null)
        {
            return [];
        }

        var result = new List<ProtocolKey> { current };
        foreach (var key in ordered)
        {
            if (key == current)
            {
                continue;
            }

            var announced = key.Generation > current.Generation;
            var stillTrusted = KeptUntil(ordered, key, now, retention) is { } until && now < until;
            if (announced || stillTrusted)
            {
                result.Add(key);
            }
        }

        return result;
    }

    /// <summary>When a superseded key leaves the set: its successor's activation plus the retention; null while it is not superseded.</summary>
    public static DateTimeOffset? KeptUntil(IEnumerable<ProtocolKey> keys, ProtocolKey key, DateTimeOffset now, TimeSpan retention) =>
        keys.Where(k => k.Generation > key.Generation && k.ActivatesAt <= now).Select(k => (DateTimeOffset?)k.ActivatesAt).Min() + retention;
}

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
        for (var i = 0; i < ordered.Count; i++)
        {
            var key = ordered[i];
            if (key == current)
            {
                continue;
            }

            var announced = key.Generation > current.Generation;
            var supersededAt = ordered.Skip(i + 1).Where(k => k.ActivatesAt <= now).Select(k => (DateTimeOffset?)k.ActivatesAt).Min();
            var stillTrusted = supersededAt is { } at && now < at + retention;
            if (announced || stillTrusted)
            {
                result.Add(key);
            }
        }

        return result;
    }
}

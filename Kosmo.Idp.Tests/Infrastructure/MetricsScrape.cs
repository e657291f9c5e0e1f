using System.Globalization;
using System.Net;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>The Prometheus scrape endpoint, read as Prometheus would.</summary>
public static class MetricsScrape
{
    public static async Task<string> ScrapeAsync(KosmoFactory factory)
    {
        var response = await factory.Browser().GetAsync("/metrics");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>How much the series grew between two scrapes.</summary>
    public static double Increase(string before, string after, string name, params string[] labels) =>
        ValueOf(after, name, labels) - ValueOf(before, name, labels);

    /// <summary>The value of the series with this name whose labels include every one of <paramref name="labels"/>; 0 before its first event.</summary>
    public static double ValueOf(string scrape, string name, params string[] labels)
    {
        var values = scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
            .Select(line => line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0])
            .Select(value => double.Parse(value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.That(values, Has.Count.LessThanOrEqualTo(1), $"one series {name} {string.Join(' ', labels)}");
        return values.SingleOrDefault();
    }
}

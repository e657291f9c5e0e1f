using Kosmo.Idp.Journey.BirthDate;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>How members type a birthdate on the confirmation page; JourneyRefusalTests walks the page itself.</summary>
public sealed class BirthDateInputTests
{
    [TestCase("19841007")]
    [TestCase("1984/10/07")]
    [TestCase("1984-10-7")]
    [TestCase("1984年10月7日")]
    [TestCase("１９８４年１０月７日")]
    [TestCase("1984ー10ー07", TestName = "the long-vowel mark a Japanese keyboard gives for -")]
    [TestCase("1984−10−07", TestName = "the minus sign")]
    [TestCase("昭和59年10月7日")]
    [TestCase("昭和５９年１０月７日")]
    [TestCase("S59.10.07")]
    [TestCase("s59/10/7")]
    [TestCase("Ｓ５９．１０．０７")]
    [TestCase("㍼59年10月7日", TestName = "the one-character era sign")]
    public void AMembersWayOfWritingTheDate_IsRead(string typed) =>
        Assert.That(BirthDateInput.Parse(typed), Is.EqualTo(new DateOnly(1984, 10, 7)));

    [TestCase("平成元年1月8日", 1989, 1, 8)]
    [TestCase("H1.1.8", 1989, 1, 8)]
    [TestCase("昭和64年1月7日", 1989, 1, 7)]
    [TestCase("令和2年2月29日", 2020, 2, 29)]
    [TestCase("大正15年12月24日", 1926, 12, 24)]
    public void EraYears_CountFromTheErasFirstYear(string typed, int year, int month, int day) =>
        Assert.That(BirthDateInput.Parse(typed), Is.EqualTo(new DateOnly(year, month, day)));

    [TestCase("昭和64年1月8日", TestName = "a day that was already 平成")]
    [TestCase("平成元年1月7日", TestName = "a day that was still 昭和")]
    [TestCase("昭和0年1月1日")]
    [TestCase("X59.10.07")]
    [TestCase("1984-02-30")]
    [TestCase("1899-12-31")]
    [TestCase("841007")]
    [TestCase("")]
    public void WhatIsNoDate_IsNotRead(string typed) =>
        Assert.That(BirthDateInput.Parse(typed), Is.Null);
}

using Kosmo.Idp.Journey.Email;

namespace Kosmo.Idp.Tests.Journey;

/// <summary>What the email fields (first login, account page) and the roster accept; JourneyRefusalTests walks the page itself.</summary>
public sealed class EmailAddressInputTests
{
    [TestCase("taro@example.jp", "taro@example.jp")]
    [TestCase("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp", TestName = "typed with a Japanese IME's full-width letters")]
    [TestCase("  taro+kenpo@mail.example.jp ", "taro+kenpo@mail.example.jp")]
    [TestCase("hanako@kenpo-1.example.co.jp", "hanako@kenpo-1.example.co.jp", TestName = "inner hyphens and digits in the host name")]
    public void AnAddressAMailProviderTakes_IsAccepted(string typed, string expected) =>
        Assert.That(EmailAddressInput.Normalize(typed), Is.EqualTo(expected));

    [TestCase("taro@@example", TestName = "two at signs")]
    [TestCase("taro@[127.0.0.1]", TestName = "an address literal")]
    [TestCase("太郎@example.jp", TestName = "a local part needing SMTPUTF8")]
    [TestCase("\"a\u001b[31mb\"@example.jp", TestName = "a control character in a quoted local part")]
    [TestCase("\"a\u007fb\"@example.jp", TestName = "DEL in a quoted local part")]
    [TestCase("Taro <taro@example.jp>", TestName = "a display name")]
    [TestCase("taro@-example.jp", TestName = "a label starting with a hyphen")]
    [TestCase("taro@example-.jp", TestName = "a label ending with a hyphen")]
    [TestCase("taro@exam_ple.jp", TestName = "an underscore in the host name")]
    [TestCase("taro@example..jp", TestName = "an empty label")]
    [TestCase("taro@example", TestName = "a host name without a dot")]
    [TestCase("taro@example.123", TestName = "an all-digit top-level domain")]
    public void AnAddressNoServerWouldTake_IsRefused(string typed) =>
        Assert.That(EmailAddressInput.Normalize(typed), Is.Null);
}

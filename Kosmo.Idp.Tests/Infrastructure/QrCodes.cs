using Microsoft.Playwright;
using StbImageSharp;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Kosmo.Idp.Tests.Infrastructure;

/// <summary>Reads a QR code out of a PNG, as an authenticator app's camera or Edge's extension would.</summary>
public static class QrCodes
{
    public static string Decode(byte[] png)
    {
        var image = ImageResult.FromMemory(png, ColorComponents.RedGreenBlueAlpha);
        // A generated code on a clean background is read as a pure barcode. A screenshot of a page
        // that scaled it (a phone's narrow screen) has modules of uneven widths: then the detector
        // reads it, on the image as it is or doubled, as a camera would from nearer.
        return Read(image.Data, image.Width, image.Height)
            ?? Read(Doubled(image.Data, image.Width, image.Height), image.Width * 2, image.Height * 2)
            ?? throw new AssertionException("No QR code could be read from the image.");
    }

    /// <summary>
    /// Reads the code shown by <paramref name="qr"/> (an img) from a screenshot, as a camera would:
    /// once the image has loaded, and looking again when a frame does not read (once in a CI run a
    /// loaded image's first screenshot held no readable code). Unread frames are attached to the test.
    /// </summary>
    public static async Task<string> ReadFromScreenAsync(ILocator qr)
    {
        await Assertions.Expect(qr).ToBeVisibleAsync();
        await Assertions.Expect(qr).ToHaveJSPropertyAsync("complete", true);
        Assert.That(await qr.EvaluateAsync<int>("img => img.naturalWidth"), Is.GreaterThan(0), "the image loaded");
        for (var frame = 1; ; frame++)
        {
            var shot = await qr.ScreenshotAsync();
            try
            {
                return Decode(shot);
            }
            catch (AssertionException) when (frame < 3)
            {
                var unread = Path.Combine(Path.GetTempPath(), $"kosmo-unread-qr-{Guid.NewGuid():N}.png");
                await File.WriteAllBytesAsync(unread, shot);
                TestContext.AddTestAttachment(unread, $"frame {frame}: no code read");
                await Task.Delay(250);
            }
        }
    }

    private static string? Read(byte[] rgba, int width, int height)
    {
        var source = new RGBLuminanceSource(rgba, width, height, RGBLuminanceSource.BitmapFormat.RGBA32);
        var pure = new Dictionary<DecodeHintType, object> { [DecodeHintType.PURE_BARCODE] = true };
        var detect = new Dictionary<DecodeHintType, object> { [DecodeHintType.TRY_HARDER] = true };
        return (new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), pure)
            ?? new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), detect)
            ?? new QRCodeReader().decode(new BinaryBitmap(new GlobalHistogramBinarizer(source)), detect))?.Text;
    }

    /// <summary>Each pixel as a 2×2 block.</summary>
    private static byte[] Doubled(byte[] rgba, int width, int height)
    {
        var doubled = new byte[rgba.Length * 4];
        for (var y = 0; y < height * 2; y++)
        {
            for (var x = 0; x < width * 2; x++)
            {
                Array.Copy(rgba, ((y / 2 * width) + (x / 2)) * 4, doubled, ((y * width * 2) + x) * 4, 4);
            }
        }

        return doubled;
    }
}

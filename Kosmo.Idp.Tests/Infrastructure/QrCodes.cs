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
        var source = new RGBLuminanceSource(image.Data, image.Width, image.Height, RGBLuminanceSource.BitmapFormat.RGBA32);
        // A generated code on a clean background is read as a pure barcode; a photographed one
        // (a screenshot of the page) needs the detector.
        var pure = new Dictionary<DecodeHintType, object> { [DecodeHintType.PURE_BARCODE] = true };
        var detect = new Dictionary<DecodeHintType, object> { [DecodeHintType.TRY_HARDER] = true };
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), pure)
            ?? new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)), detect)
            ?? throw new AssertionException("No QR code could be read from the image.");
        return result.Text;
    }
}

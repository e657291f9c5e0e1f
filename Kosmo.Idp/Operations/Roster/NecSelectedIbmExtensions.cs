namespace Kosmo.Idp.Operations.Roster;

/// <summary>
/// Windows code page 932 has 374 characters twice: as the IBM extensions (FA40–FC4B) and as the
/// "NEC-selected IBM extensions" (ED40–EEFC), among them 髙 and 﨑 of common surnames. Windows and
/// Python's cp932 read both rows, and Python writes the NEC row (髙 → EE E0); .NET's code page 932
/// reads only the IBM one. So before decoding, each NEC-selected code is rewritten to its IBM twin:
/// the 360 kanji are in the same order in both (ED40–EEEC and FA5C–FC4B), and the 14 signs at
/// EEEF–EEFC are ⅰ–ⅹ (FA40–FA49) and ￢ ￤ ＇ ＂ (FA54–FA57; ￢ also 81CA).
/// </summary>
public static class NecSelectedIbmExtensions
{
    private const int TrailsPerLead = 188; // 40–7E and 80–FC

    /// <summary>The same Shift_JIS bytes with every NEC-selected code replaced by its IBM twin; the input itself when it has none.</summary>
    public static byte[] AsIbmCodes(byte[] bytes)
    {
        byte[]? rewritten = null;
        for (var i = 0; i < bytes.Length; i++)
        {
            var lead = bytes[i];
            if (!IsLeadByte(lead) || i + 1 >= bytes.Length)
            {
                continue;
            }

            if (lead is 0xED or 0xEE && IbmTwin(lead, bytes[i + 1]) is { } twin)
            {
                rewritten ??= (byte[])bytes.Clone();
                (rewritten[i], rewritten[i + 1]) = twin;
            }

            i++; // the trail byte, which may look like a lead byte itself
        }

        return rewritten ?? bytes;
    }

    private static bool IsLeadByte(byte b) => b is >= 0x81 and <= 0x9F or >= 0xE0 and <= 0xFC;

    private static (byte Lead, byte Trail)? IbmTwin(byte lead, byte trail)
    {
        if (trail is < 0x40 or > 0xFC or 0x7F)
        {
            return null;
        }

        var necIndex = (lead - 0xED) * TrailsPerLead + trail - 0x40 - (trail > 0x7F ? 1 : 0);
        int? ibmIndex = necIndex switch
        {
            <= 359 => necIndex + 28,             // the kanji, after the 28 signs that open the IBM row
            >= 362 and <= 371 => necIndex - 362,  // ⅰ–ⅹ
            372 => null,                          // ￢: below, as JIS X 0208's own
            >= 373 and <= 375 => necIndex - 352,  // ￤ ＇ ＂, after Ⅰ–Ⅹ and ￢
            _ => null,                            // EEED and EEEE: no character
        };
        if (necIndex == 372)
        {
            // .NET reads the IBM row's ￢ (FA54) as nothing; the same character is 81CA.
            return (0x81, 0xCA);
        }

        if (ibmIndex is not { } index)
        {
            return null;
        }

        var ibmTrail = index % TrailsPerLead;
        return ((byte)(0xFA + index / TrailsPerLead), (byte)(0x40 + ibmTrail + (ibmTrail >= 0x3F ? 1 : 0)));
    }
}

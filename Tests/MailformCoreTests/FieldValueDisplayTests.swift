import Testing
@testable import MailformCore

/// A plan's line shows `SafeText.escape(value.display)`; the renderer
/// appends it without the strings in between when it can. The two must
/// show the same text for every value, hostile ones first.
struct FieldValueDisplayTests {
    static let texts = [
        "smtp.acme.example", "", " ", "a\"b", "back\\slash", "line\nbreak", "tab\there", "\r", "esc\u{1B}[31mred",
        "nul\u{0}byte", "del\u{7F}", "c1\u{85}", "caf\u{E9}", "bidi\u{202E}txt", "zero\u{200B}width", "\u{FEFF}bom",
        "\u{2028}sep", "emoji \u{1F600}", "~!@#$%^&*()_+`-={}|[]:;'<>?,./", "\"", "\\",
    ]

    @Test(arguments: texts) func aTextShowsAsItsEscapedDisplay(_ text: String) {
        var shown = "prefix "
        FieldValue.text(text).appendShown(to: &shown)
        #expect(shown == "prefix " + SafeText.escape(FieldValue.text(text).display))
        #expect(!shown.unicodeScalars.contains { SafeText.needsEscape($0) })
    }

    @Test func otherValuesShowAsTheirEscapedDisplay() {
        let values: [FieldValue] = [.int(587), .bool(true), .list(["TLSv1.2", "a\u{1B}b"]),
                                    .secret(SecretFingerprint(hex: "ab")), FieldValue(display: "logo \u{202E}x", key: "k", sensitive: false)]
        for value in values {
            var shown = ""
            value.appendShown(to: &shown)
            #expect(shown == SafeText.escape(value.display))
        }
    }

    /// Characters that show as nothing are shown escaped: a changed name
    /// must not look unchanged in a review.
    @Test(arguments: [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0, 0xFFF9, 0xFFFB, 0xE0001, 0xE0041, 0xE007F, 0x200B, 0x2066])
    func anInvisibleCharacterIsShownEscaped(_ value: Int) {
        let text = "a" + String(Unicode.Scalar(UInt32(value))!) + "b"
        var shown = ""
        FieldValue.text(text).appendShown(to: &shown)
        #expect(shown == "\"a\\u{\(String(value, radix: 16))}b\"")
    }
}

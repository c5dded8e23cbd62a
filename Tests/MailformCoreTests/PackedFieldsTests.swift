import Testing
@testable import MailformCore

/// The packed fields of an added company give back every field, and their
/// paths alone without making the values; the short digest is the long one's start.
struct PackedFieldsTests {
    @Test func pathsAndFieldsComeBackAsPacked() throws {
        var secret = FieldValue(.secret("ab12"), sensitive: true)
        secret.reference = "${file:secrets/x.txt}"
        let fields: [(path: String, value: FieldValue)] = [
            ("name", FieldValue(.text("Acme ünïcode"))),
            ("smtp.port", FieldValue(.int(-587))),
            ("smtp.ssl", FieldValue(.bool(true))),
            ("smtp.ssl_protocols", FieldValue(.list(["TLSv1.2", "TLSv1.3", ""]))),
            ("smtp.password", secret),
            ("logo", FieldValue(display: "logo.png (852 bytes)", key: "sha256:00", sensitive: false)),
            ("sender.name", FieldValue(display: "Privacy", key: "Privacy", sensitive: false, json: .string("Privacy"))),
            (String(repeating: "p", count: 300), FieldValue(.text(String(repeating: "v", count: 70_000)))),
        ]
        let packed = try #require(PackedFields(fields))
        #expect(packed.paths == fields.map(\.path))
        let back = packed.fields
        #expect(back.map(\.path) == fields.map(\.path))
        #expect(FieldsDigest(back) == FieldsDigest(fields))
        #expect(back[4].value.reference == "${file:secrets/x.txt}" && back[4].value.sensitive)
    }

    @Test func theShortDigestIsTheStartOfTheLongOne() {
        for text in ["", "a", "relay.shared.example"] {
            let digest = FieldsDigest([("smtp.host", FieldValue(.text(text)))])
            #expect(digest.hex.count == 64 && digest.hex.hasPrefix(digest.shortHex) && digest.shortHex.count == 8)
            #expect(digest.hex.allSatisfy { "0123456789abcdef".contains($0) })
            let words = [digest.words.0, digest.words.1, digest.words.2, digest.words.3]
            #expect(digest.hex == words.map { w in let s = String(w, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }.joined())
        }
    }
}

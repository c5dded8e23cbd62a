import Testing
@testable import MailformCore

/// The digest a plan compares unchanged companies by: equal exactly when
/// the diff would find every field equal (`FieldValue ==`), never for two
/// values a crafted file could make collide.
struct FieldsDigestTests {
    typealias Fields = [(path: String, value: FieldValue)]

    @Test func equalFieldsGiveEqualDigests() {
        let fields: Fields = [("name", .text("Acme")), ("smtp.port", .int(587)), ("smtp.ssl", .bool(false)),
                              ("smtp.ssl_protocols", .list(["TLSv1.2", "TLSv1.3"])), ("smtp.password", .secret(SecretFingerprint(hex: "ab")))]
        var shown = fields
        // The reference a secret is read through is shown, not compared.
        shown[4].value.reference = "${env:MAILFORM_ACME_SMTP_PASSWORD}"
        #expect(FieldsDigest(fields) == FieldsDigest(shown))
        // A shown value compares by its key alone.
        #expect(FieldsDigest([("sender.logo", FieldValue(display: "a", key: "img:1", sensitive: false))])
                == FieldsDigest([("sender.logo", FieldValue(display: "b", key: "img:1", sensitive: false))]))
    }

    @Test func valuesThatDifferGiveDifferentDigests() {
        let pairs: [(Fields, Fields)] = [
            ([("smtp.ssl_protocols", .list(["a b"]))], [("smtp.ssl_protocols", .list(["a", "b"]))]),
            ([("smtp.ssl_protocols", .list(["a\u{1F}b"]))], [("smtp.ssl_protocols", .list(["a", "b"]))]),
            ([("smtp.port", .int(1))], [("smtp.port", .text("1"))]),
            ([("x", .text("1"))], [("x", .secret(SecretFingerprint(hex: "1")))]),
            ([("x", .bool(true))], [("x", .int(1))]),
            // A value cannot shift into the next path.
            ([("a", .text("b")), ("c", .text(""))], [("a", .text("")), ("bc", .text(""))]),
            ([("a", .text("x"))], [("a", .text("x")), ("b", .text(""))]),
            ([("a", .list([]))], [("a", .list([""]))]),
            ([("a", FieldValue(display: "", key: "k", sensitive: false))], [("a", FieldValue(display: "", key: "k", sensitive: true))]),
        ]
        for (a, b) in pairs {
            #expect(FieldsDigest(a) != FieldsDigest(b), "\(a.map(\.value.key)) vs \(b.map(\.value.key))")
        }
    }

    /// The `{company}` fence finds a longer owner from the name itself.
    @Test func aLongerOwnerIsFoundInTheName() {
        let owners: Set<String> = ["ACME", "ACME_EU", "ACME_EU_WEST", "GLOBEX"]
        #expect(Workspace.claimedByLongerOwner("MAILFORM_ACME_EU_SMTP_PASSWORD", lead: "MAILFORM_", owner: "ACME", owners: owners))
        #expect(Workspace.claimedByLongerOwner("MAILFORM_ACME_EU_WEST_SMTP_PASSWORD", lead: "MAILFORM_", owner: "ACME_EU", owners: owners))
        #expect(!Workspace.claimedByLongerOwner("MAILFORM_ACME_SMTP_PASSWORD", lead: "MAILFORM_", owner: "ACME", owners: owners))
        #expect(!Workspace.claimedByLongerOwner("MAILFORM_ACME_EU_SMTP_PASSWORD", lead: "MAILFORM_", owner: "ACME_EU", owners: owners))
        #expect(!Workspace.claimedByLongerOwner("MAILFORM_ACME_EUROPE_KEY", lead: "MAILFORM_", owner: "ACME", owners: owners))
        #expect(!Workspace.claimedByLongerOwner("OTHER_ACME_EU_X", lead: "MAILFORM_", owner: "ACME", owners: owners))
    }
}

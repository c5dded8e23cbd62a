import Testing
import JSONSchema

/// `format` assertions never accept control characters, line ends or other
/// invisible characters (a header-injection vector in mail settings).
struct FormatsTests {
    static let lineEnds = ["\r", "\n", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}", "\u{0}"]

    @Test(arguments: lineEnds)
    func hostnameRejectsLineEnds(_ end: String) {
        #expect(Formats.isHostname("smtp.acme.com"))
        #expect(!Formats.isHostname("smtp.acme.com" + end))
        #expect(!Formats.isHostname("smtp.acme.com." + end))
        #expect(!Formats.isHostname(end + "smtp.acme.com"))
        #expect(!Formats.isHostname("smtp" + end + ".acme.com"))
    }

    @Test(arguments: lineEnds + ["\u{1}", "\u{7F}", "\u{9F}", "\u{200B}", "\u{202E}", "\u{FEFF}", "\u{A0}", "\u{3000}", "\t", " "])
    func emailRejectsControlAndInvisibleCharacters(_ bad: String) {
        #expect(Formats.isEmail("no-reply@acme.com"))
        #expect(!Formats.isEmail("no-reply@acme.com" + bad))
        #expect(!Formats.isEmail("no-reply" + bad + "@acme.com"))
        #expect(!Formats.isEmail(bad + "no-reply@acme.com"))
        #expect(!Formats.isEmail("no-reply@" + bad + "acme.com"))
        #expect(!Formats.isEmail("no" + bad + "reply@acme.com"))
    }

    @Test func emailStillTakesInternationalLocalParts() {
        #expect(Formats.isEmail("josé@acme.com"))
        #expect(Formats.isEmail("用户@acme.com"))
        #expect(Formats.isEmail("a.b+tag@mail.acme.com"))
    }

    /// "@" followed by a combining mark is still an "@" (no grapheme tricks).
    @Test func emailSplitsOnScalars() {
        #expect(!Formats.isEmail("a@\u{301}acme.com"))
        #expect(!Formats.isEmail("a\u{301}@acme.com@b.com"))
    }

    @Test func ipv4IsDigitsOnly() {
        #expect(Formats.isIPv4("192.0.2.1"))
        #expect(!Formats.isIPv4("+1.2.3.4"))
        #expect(!Formats.isIPv4("1.2.3.4\n"))
        #expect(!Formats.isIPv4("01.2.3.4"))
        #expect(!Formats.isIPv4("1.2.3.256"))
        #expect(!Formats.isIPv4("1.2.3.0004"))
    }

    @Test(arguments: lineEnds)
    func uriRejectsLineEnds(_ end: String) {
        #expect(Formats.isURI("https://acme.com/x"))
        #expect(!Formats.isURI("https://acme.com/x" + end))
    }

    /// Through the validator, as the company schema uses them.
    @Test func validatorAssertsFormats() throws {
        let validator = try Validator(schemaJSON: #"{"properties": {"host": {"format": "hostname"}, "email": {"format": "email"}}}"#)
        let good = try JSONParser.parse(#"{"host": "smtp.acme.com", "email": "a@acme.com"}"#)
        let bad = try JSONParser.parse(#"{"host": "smtp.acme.com\r\n", "email": "a@acme.com\r\nBcc: x@evil.test"}"#)
        #expect(validator.isValid(good))
        #expect(validator.validate(bad).count == 2)
    }
}

import Foundation
import Testing
import JSONSchema

/// `pattern`, `patternProperties` and `propertyNames` follow ECMA-262, not ICU
/// (issue "Patterns are not ECMA-262"). Only the public API is used, so these
/// run unchanged against the NSRegularExpression-as-written validator, where
/// each of them fails.
struct PatternSemanticsTests {
    static func validator(pattern: String) throws -> Validator {
        try Validator(schema: JSONNode(.object([
            JSONMember(key: "type", value: JSONNode(.string("string"))),
            JSONMember(key: "pattern", value: JSONNode(.string(pattern))),
        ])))
    }

    static func matches(_ pattern: String, _ value: String) throws -> Bool {
        try validator(pattern: pattern).isValid(JSONNode(.string(value)))
    }

    /// The line ends ICU's `$` accepts before the end of input.
    static let lineEndSuffixes = ["\r", "\n", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"]
    static let companyID = "^[a-z0-9][a-z0-9-]*$"

    @Test(arguments: lineEndSuffixes)
    func dollarIsTheEndOfInputOnly(_ suffix: String) throws {
        #expect(try Self.matches(Self.companyID, "r0"))
        #expect(!(try Self.matches(Self.companyID, "r0" + suffix)), "company id 'r0' + \(suffix.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) })")
    }

    @Test(arguments: lineEndSuffixes)
    func patternPropertiesAndPropertyNamesToo(_ suffix: String) throws {
        let schema = try JSONParser.parse(#"""
            {"type": "object", "patternProperties": {"^[a-z]+$": true}, "additionalProperties": false,
             "propertyNames": {"pattern": "^[a-z]+$"}}
            """#)
        let validator = try Validator(schema: schema)
        func object(_ key: String) -> JSONNode { JSONNode(.object([JSONMember(key: key, value: JSONNode(.integer(1)))])) }
        #expect(validator.isValid(object("smtp")))
        // additionalProperties: false and propertyNames each report the key.
        #expect(validator.validate(object("smtp" + suffix)).count == 2)
    }

    /// ECMA-262 `\s`: WhiteSpace and LineTerminator.
    @Test(arguments: ["\t", "\n", "\u{0B}", "\u{0C}", "\r", " ", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2005}", "\u{200A}",
                      "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}", "\u{FEFF}"])
    func whitespaceClassIsECMAs(_ space: String) throws {
        #expect(try Self.matches(#"^\s$"#, space))
        #expect(!(try Self.matches(#"^\S$"#, space)))
        #expect(try Self.matches(#"^a[\s]b$"#, "a" + space + "b"))
    }

    /// U+0085 (NEL), U+180E (no longer a space since Unicode 6.3) and U+200B are not ECMA whitespace.
    @Test(arguments: ["\u{85}", "\u{180E}", "\u{200B}"])
    func whitespaceClassExcludes(_ other: String) throws {
        #expect(!(try Self.matches(#"^\s$"#, other)))
        #expect(try Self.matches(#"^\S$"#, other))
        #expect(try Self.matches(#"^[^\s]$"#, other))
    }

    @Test func digitIsASCIIOnly() throws {
        #expect(try Self.matches(#"^\d$"#, "3"))
        #expect(!(try Self.matches(#"^\d$"#, "٣")))  // ARABIC-INDIC DIGIT THREE
        #expect(!(try Self.matches(#"^\d+$"#, "৪২")))  // BENGALI DIGITS
        #expect(!(try Self.matches(#"^[\d]$"#, "٣")))
        #expect(try Self.matches(#"^\D$"#, "٣"))
    }

    @Test func wordIsASCIIOnly() throws {
        #expect(try Self.matches(#"^\w+$"#, "Az_09"))
        #expect(!(try Self.matches(#"^\w$"#, "é")))
        #expect(try Self.matches(#"^\W$"#, "é"))
        // \b sits between ASCII word characters and the rest, é included.
        #expect(try Self.matches(#"^a\b"#, "aé"))
        #expect(!(try Self.matches(#"^a\B"#, "aé")))
    }

    @Test func dotMatchesEverythingButLineTerminators() throws {
        #expect(try Self.matches("^.$", "\u{85}"))
        #expect(try Self.matches("^.$", "🐲"))
        for terminator in ["\n", "\r", "\u{2028}", "\u{2029}"] {
            #expect(!(try Self.matches("^.$", terminator)))
        }
    }

    @Test func escapesMeanWhatECMASays() throws {
        #expect(try Self.matches(#"^\v$"#, "\u{0B}"))
        #expect(!(try Self.matches(#"^\v$"#, "\n")))  // ICU: any vertical whitespace
        #expect(try Self.matches(#"^\cC$"#, "\u{03}"))
        // In ECMA `[[:alpha:]` is the class of '[', ':', 'a', 'l', 'p', 'h'; ICU reads a POSIX class.
        #expect(try Self.matches(#"^[[:alpha:]\]$"#, "a]"))
        #expect(try Self.matches(#"^[[:alpha:]\]$"#, ":]"))
        #expect(!(try Self.matches(#"^[[:alpha:]\]$"#, "b]")))
        // `&&` is no intersection in ECMA.
        #expect(try Self.matches("^[a&&b]$", "&"))
    }

    /// Not ECMA-262 (ICU would have read them as possessive, bell, a comment,
    /// an inline flag), or not translatable faithfully: a schema error.
    @Test(arguments: ["a*+", #"\a"#, "(?#note)a", "(?i)abc", "(?P<n>x)", #"(a)\1"#, "[b-a]", "a{2,1}", "(?<=a+)b"])
    func refusedPatterns(_ pattern: String) {
        #expect(throws: SchemaError.self) { try Self.validator(pattern: pattern) }
    }

    /// mailform's own schema patterns still mean what they say.
    @Test func mailformPatterns() throws {
        let logo = #"^(https://[^\s]+|[^:\s][^\s]*\.(png|PNG|jpg|JPG|jpeg|JPEG|svg|SVG))$"#
        #expect(try Self.matches(logo, "https://cdn.acme.com/logo.png"))
        #expect(try Self.matches(logo, "logo.svg"))
        #expect(!(try Self.matches(logo, "logo.svg\n")))
        #expect(!(try Self.matches(logo, "https://cdn.acme.com/logo.png\u{FEFF}")))
        let secret = #"^\$\{(env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\}$"#
        #expect(try Self.matches(secret, "${env:SMTP_PASSWORD}"))
        #expect(try Self.matches(secret, "${file:../secrets/p.txt}"))
        #expect(!(try Self.matches(secret, "${env:SMTP_PASSWORD}\n")))
        let template = #"^([A-Za-z0-9_*]|\{company\}|\{profile\})+$"#
        #expect(try Self.matches(template, "mail_{company}_*"))
        #expect(!(try Self.matches(template, "mail_{company}\r\n")))
        #expect(try Self.matches("^[0-9]{1,7}(ms|s|m)$", "250ms"))
        #expect(!(try Self.matches("^[0-9]{1,7}(ms|s|m)$", "250ms\n")))
    }
}

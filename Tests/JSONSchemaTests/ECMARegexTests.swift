import Foundation
import Testing
@testable import JSONSchema

/// The ECMA-262 → ICU translation itself (see `ECMARegex`).
struct ECMARegexTests {
    static func run(_ pattern: String, _ value: String) throws -> Bool {
        Validator.search(try ECMARegex.compile(pattern), value)
    }

    static func kind(_ pattern: String) -> ECMARegex.Failure.Kind? {
        do {
            _ = try ECMARegex.compile(pattern)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func translations() throws {
        #expect(try ECMARegex.translate("^a$") == #"\Aa\z"#)
        #expect(try ECMARegex.translate(#"^[a-z0-9][a-z0-9-]*$"#) == #"\A[a-z0-9][a-z0-9\x{2D}]*\z"#)
        #expect(try ECMARegex.translate(#"\d+?\.\-"#) == #"[0-9]+\x{2E}\x{2D}"#)  // lazy → greedy
        #expect(try ECMARegex.translate(#"[^\d\s]"#) == "[^[0-9]" + ECMARegex.whitespaceSet + "]")
        #expect(try ECMARegex.translate(#"(?<year>\d{4})-(?:x|y){2,}"#) == #"([0-9]{4})\x{2D}(?:x|y){2,}"#)
        #expect(try ECMARegex.translate(#"\u{1F432}\uD83D\uDC32\x41\u0042\t"#) == #"\x{1F432}\x{1F432}AB\x{9}"#)
        #expect(try ECMARegex.translate("[]") == #"[^\x{0}-\x{10FFFF}]"#)
        #expect(try ECMARegex.translate("[^]") == #"[\x{0}-\x{10FFFF}]"#)
        #expect(try ECMARegex.translate(#"\p{Letter}\P{sc=Greek}"#) == #"\p{Letter}\P{sc=Greek}"#)
        #expect(try ECMARegex.translate("a{,2}}]") == #"a\x{7B}\x{2C}2\x{7D}\x{7D}\x{5D}"#)  // Annex B literals
    }

    /// The `\s` set is ECMA-262's definition, computed from Unicode's Space_Separator.
    @Test func whitespaceSetIsTheSpecs() {
        var expected: Set<UInt32> = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0xFEFF, 0x2028, 0x2029]
        for v in UInt32(0)...0x10FFFF {
            if let scalar = Unicode.Scalar(v), scalar.properties.generalCategory == .spaceSeparator { expected.insert(v) }
        }
        let listed = Set(ECMARegex.whitespaceRanges.flatMap { Array($0) })
        #expect(listed == expected)
    }

    /// Every BMP character against `\s \S \d \D \w \W .`: each regex finds
    /// exactly its members in one string of all of them.
    @Test func classesOverTheBMP() throws {
        let whitespace = Set(ECMARegex.whitespaceRanges.flatMap { Array($0) })
        let digit: (UInt32) -> Bool = { (0x30...0x39).contains($0) }
        let word: (UInt32) -> Bool = { digit($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F }
        let classes: [(String, (UInt32) -> Bool)] = [
            (#"\s"#, { whitespace.contains($0) }), (#"\S"#, { !whitespace.contains($0) }),
            (#"\d"#, digit), (#"\D"#, { !digit($0) }), (#"\w"#, word), (#"\W"#, { !word($0) }),
            (#"[\s]"#, { whitespace.contains($0) }), (#"[^\s]"#, { !whitespace.contains($0) }),
            (#"[^\S]"#, { whitespace.contains($0) }), (#"[\d\s]"#, { digit($0) || whitespace.contains($0) }),
            (".", { ![0x0A, 0x0D, 0x2028, 0x2029].contains($0) }),
        ]
        let all = (UInt32(0)...0xFFFF).compactMap(Unicode.Scalar.init)
        var text = ""
        text.unicodeScalars.append(contentsOf: all)
        let ns = text as NSString
        for (pattern, member) in classes {
            let regex = try ECMARegex.compile(pattern)
            var found: Set<UInt32> = []
            for match in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                found.formUnion(ns.substring(with: match.range).unicodeScalars.map(\.value))
            }
            let wanted = Set(all.map(\.value).filter(member))
            #expect(found == wanted, "\(pattern): differs at \(found.symmetricDifference(wanted).sorted().prefix(10).map { String($0, radix: 16) })")
        }
    }

    @Test func semantics() throws {
        let cases: [(String, String, Bool)] = [
            ("^abc$", "abc", true), ("^abc$", "abc\n", false), ("abc$", "xabc", true),
            (#"^\t$"#, "\t", true), (#"^\t$"#, #"\t"#, false),
            (#"^\cC$"#, "\u{03}", true), (#"^\cc$"#, "\u{03}", true),
            (#"^\0$"#, "\u{0}", true), (#"^\x41\u0042\u{43}$"#, "ABC", true),
            ("^🐲*$", "🐲🐲", true), (#"^\uD83D\uDC32$"#, "🐲", true), ("^.$", "🐲", true),
            (#"^[\uD83D\uDC00-\uD83D\uDFFF]$"#, "🐲", true),
            ("^[]$", "", false), ("^[]?$", "", true), ("^[^]$", "\n", true),
            (#"^[\b]$"#, "\u{08}", true), (#"a\bb"#, "ab", false), (#"a\b"#, "a b", true), (#"\Ba"#, "ba", true),
            (#"^[\w-]+$"#, "a-b_c", true), (#"^[--0]$"#, ".", true), (#"^[a\-z]$"#, "-", true), (#"^[a\-z]$"#, "b", false),
            (#"^[^\W]$"#, "é", false), (#"^[^\W]$"#, "e", true), (#"^[\S\s]$"#, "\n", true), (#"^[^\S\s]$"#, "a", false),
            (#"^[^\D]$"#, "٣", false), (#"^[\D]$"#, "٣", true),
            ("^(?=a)a$", "a", true), ("^(?!a).$", "a", false), ("(?<=a)b", "ab", true), ("(?<!a)b", "ab", false),
            (#"^(?<n>a)+$"#, "aa", true), ("^a{2}$", "aa", true), ("^a{2}?$", "aa", true), ("^a{1,}$", "aaa", true),
            ("^a{,2}$", "a{,2}", true), ("^}$", "}", true), ("^]$", "]", true),
            (#"^\$\{x\}\/\.\*\+\?\(\)\[\]\|\^\\$"#, #"${x}/.*+?()[]|^\"#, true),
            (##"^\-\'\"\@\#\ \~$"##, ##"-'"@# ~"##, true),
            ("^a#b$", "a#b", true), ("^a b$", "a b", true), (#"^\p{Lu}\p{digit}$"#, "É٣", true),
            (#"^\p{Script=Greek}$"#, "α", true), (#"^[\p{L}\d]+$"#, "é3", true), (#"^[^\p{L}]$"#, "é", false),
            ("^(a|)$", "", true), ("(?:)", "x", true), ("", "", true),
            // Lazy repetition of what can match empty (ICU alone fails these).
            ("^(?:|a)+?$", "aa", true), ("^(?:a*?)*?b$", "aab", true), ("^(?:(?=a)|a)*?$", "aaa", true),
            ("^(a*?)+?$", "aaa", true), ("^(?:|a)+?b$", "ab", true), ("^a+?$", "aaa", true), ("^a{2,3}?$", "a", false),
        ]
        for (pattern, value, expected) in cases {
            #expect(try Self.run(pattern, value) == expected, "\(pattern) on \(value.debugDescription)")
        }
    }

    @Test(arguments: [
        #"\a"#, #"\e"#, #"\z"#, #"\A"#, #"\Z"#, #"\Q"#, #"\h"#, #"\R"#, #"\X"#, #"\é"#, "\\",
        "a**", "a*+", "a++", "a?+", "a{2}+", "*", "+a", "?", "{1}", "a|*",
        "(?i)a", "(?P<n>x)", "(?P=n)", "(?#c)", "(?>a)", "(?|a)", "(?=a)*", "(?<=a)+", "^*", "$+", #"\b+"#, #"\B{2}"#,
        "(", ")", "(a", "a)", "[", "[a", "[b-a]", "a{2,1}", "a{10,9}", #"[\d-z]"#, #"[a-\s]"#,
        #"\c1"#, #"\c"#, #"[\c_]"#, #"\x4"#, #"\xg0"#, #"\u12"#, #"\u{110000}"#, #"\u{}"#, #"\01"#, #"[\1]"#, #"[\B]"#,
        #"\p{Foo=Bar}"#, #"\p{L"#, #"\p"#, #"\p{}"#, #"\p{a b}"#, #"\1"#, #"(a)\2"#, #"\k<x>"#, #"\k"#, "(?<1a>x)", "(?<>x)",
        "(?ii:a)", "(?-:a)",
    ])
    func syntaxErrors(_ pattern: String) {
        #expect(Self.kind(pattern) == .syntax, "\(pattern)")
    }

    @Test(arguments: [#"(a)\1"#, #"(?<n>a)\k<n>"#, "(?i:a)", "(?-i:a)", "(?<=a+)b", "(?<=a*)b", #"\p{NoSuchProperty}"#])
    func refusedButNotSyntaxErrors(_ pattern: String) {
        #expect(Self.kind(pattern) == .unsupported, "\(pattern)")
    }

    /// A syntax error later in the pattern wins over an earlier refused construct.
    @Test func syntaxErrorWinsOverUnsupported() {
        #expect(Self.kind(#"(a)\1["#) == .syntax)
        #expect(Self.kind(#"(?i:a)\q"#) == .syntax)
    }

    @Test func errorsNameTheOffset() {
        #expect(throws: ECMARegex.Failure.self) { try ECMARegex.translate(#"abc\a"#) }
        do {
            _ = try ECMARegex.translate(#"abc\a"#)
        } catch {
            #expect(error.offset == 3)
            #expect(error.description.contains("character 4"))
        }
    }

    @Test func schemaErrorsSayWhy() {
        #expect {
            _ = try Validator(schemaJSON: #"{"pattern": "(a)\\1"}"#)
        } throws: { error in
            "\(error)".contains("unsupported regular expression '(a)\\1'") && "\(error)".contains("backreferences")
        }
        #expect {
            _ = try Validator(schemaJSON: #"{"patternProperties": {"\\a": true}}"#)
        } throws: { error in
            "\(error)".contains("invalid regular expression '\\a'")
        }
    }

    /// Deep nesting is refused, not a stack overflow (schemas are user input; see Fuzz/).
    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "(", count: 10_000) + String(repeating: ")", count: 10_000)
        #expect(Self.kind(deep) == .unsupported)
    }
}

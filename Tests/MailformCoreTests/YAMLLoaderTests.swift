import Foundation
import JSONSchema
import Testing
@testable import MailformCore

struct YAMLLoaderTests {
    func load(_ text: String) -> Result<JSONNode, YAMLLoader.Failure> {
        YAMLLoader(source: 0).load(Array(text.utf8))
    }

    func failure(_ text: String) -> YAMLLoader.Failure? {
        if case .failure(let f) = load(text) { return f }
        return nil
    }

    @Test func scalarsFollowYAML12CoreSchema() throws {
        let node = try load("""
            a: yes
            b: true
            c: 587
            d: 0x1F
            e: 0o17
            f: 1.5
            g: ~
            h: "587"
            i: 12:30
            j: off
            k:
            """).get()
        #expect(node["a"]?.value == .string("yes"))
        #expect(node["b"]?.value == .bool(true))
        #expect(node["c"]?.value == .integer(587))
        #expect(node["d"]?.value == .integer(31))
        #expect(node["e"]?.value == .integer(15))
        #expect(node["f"]?.value == .number(1.5))
        #expect(node["g"]?.value == .null)
        #expect(node["h"]?.value == .string("587"))
        #expect(node["i"]?.value == .string("12:30"))
        #expect(node["j"]?.value == .string("off"))
        #expect(node["k"]?.value == .null)
    }

    @Test func marksAreOneBasedAndCountUnicodeScalars() throws {
        let m = MarkedText("name: 1️⃣José\nsmtp:\n  port: 2️⃣587\n")
        let node = try YAMLLoader(source: 0).load(Array(m.text.utf8)).get()
        #expect(node["name"]?.mark == Mark(line: 1, column: 7))
        #expect(node["smtp"]?["port"]?.mark == Mark(line: m.positions["2️⃣"]!.line, column: m.positions["2️⃣"]!.column))
        let after = try load("n: é\nx: 1").get()
        #expect(after["x"]?.mark == Mark(line: 2, column: 4))
        let same = try load("a: éé\nb: 1").get()
        #expect(same["a"]?.mark == Mark(line: 1, column: 4))
    }

    @Test func duplicateKeyReportsBothPositions() throws {
        let f = try #require(failure("a: 1\nb: 2\na: 3\n"))
        #expect(f.message == "duplicate key 'a'")
        #expect(f.mark == Mark(line: 3, column: 1))
        #expect(f.related?.0 == Mark(line: 1, column: 1))
    }

    @Test func leadingZeroIsRefused() throws {
        let f = try #require(failure("smtp:\n  port: 0587\n"))
        #expect(f.message == "number has a leading zero")
        #expect(f.mark == Mark(line: 2, column: 9))
    }

    @Test func aliasesAndAnchorsAreRefused() throws {
        #expect(failure("a: &x 1\nb: *x\n")?.message == "YAML anchors are not allowed")
        #expect(failure("a: &x [1]\n")?.message == "YAML anchors are not allowed")
    }

    @Test func billionLaughsFailsAtOnce() throws {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].enumerated() {
            let previous = ["a", "b", "c", "d", "e", "f", "g", "h"][i]
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
        }
        let start = Date()
        let f = try #require(failure(text))
        #expect(f.message.contains("not allowed"))
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func invalidUTF8IsLocated() throws {
        var bytes = Array("name: Jos".utf8)
        bytes.append(0xE9)
        bytes.append(contentsOf: Array("\n".utf8))
        guard case .failure(let f) = YAMLLoader(source: 0).load(bytes) else { Issue.record("accepted latin-1"); return }
        #expect(f.message == "file is not valid UTF-8 (byte 0xE9)")
        #expect(f.mark == Mark(line: 1, column: 10))
    }

    @Test func tabsInIndentationAreRefused() throws {
        let f = try #require(failure("sender:\n\temail: a@b.c\n"))
        #expect(f.message == "tab character used for indentation")
        #expect(f.mark == Mark(line: 2, column: 1))
    }

    @Test func structuralProblems() throws {
        #expect(failure("")?.message == "file is empty")
        #expect(failure("# only a comment\n")?.message == "file is empty")
        #expect(failure("- a\n- b\n")?.message == "top level must be a mapping of settings, not a list")
        #expect(failure("just text\n")?.message.hasPrefix("top level must be a mapping") == true)
        let docs = try #require(failure("a: 1\n---\nb: 2\n"))
        #expect(docs.message == "file holds more than one YAML document")
        #expect(docs.mark.line == 2)
        #expect(failure("? [a]\n: 1\n")?.message.hasPrefix("a mapping key must be a plain value") == true)
        #expect(failure("a: !custom 1\n")?.message == "unsupported YAML tag '!custom'")
    }

    @Test func syntaxErrorCarriesLibyamlPosition() throws {
        let f = try #require(failure("sender:\n  email: a@b.c\n   name: x\n"))
        #expect(f.message.hasPrefix("YAML syntax error: mapping values are not allowed"))
        #expect(f.mark.line == 3)
    }

    /// An unclosed quote runs to the end of the file; libyaml's problem mark
    /// is then past the last line. The error points where the quote opens.
    @Test(arguments: [
        "company: acme\nname: 1️⃣\"ACME\nprovider: platform\n",
        "company: acme\nname: 1️⃣'ACME\nprovider: platform\n",
        "company: acme\nsender: {email: 1️⃣\"a@b.c}\n",
        "company: acme\nname: 1️⃣\"ACME",
    ])
    func unclosedQuoteIsReportedWhereItOpens(_ marked: String) throws {
        let m = MarkedText(marked)
        let f = try #require(failure(m.text))
        #expect(f.message == "YAML syntax error: quoted value is never closed")
        let p = try #require(m.positions["1️⃣"])
        #expect(f.mark == Mark(line: p.line, column: p.column))
    }

    @Test func badEscapeIsStillReportedAtTheEscape() throws {
        let m = MarkedText("company: acme\nname: \"ACME1️⃣\\q\"\n")
        let f = try #require(failure(m.text))
        #expect(f.message.hasPrefix("YAML syntax error: found unknown escape character"))
        let p = try #require(m.positions["1️⃣"])
        #expect(f.mark == Mark(line: p.line, column: p.column))
    }

    @Test func nestingBombIsBounded() throws {
        let text = "a: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let f = try #require(failure(text))
        #expect(f.message.hasPrefix("nesting deeper than"))
    }

    @Test func oversizedFileIsRefused() throws {
        let bytes = Array(("a: \"" + String(repeating: "x", count: YAMLLoader.maxFileSize) + "\"").utf8)
        guard case .failure(let f) = YAMLLoader(source: 0).load(bytes) else { Issue.record("accepted 1 MiB"); return }
        #expect(f.message.contains("over the 1 MiB limit"))
    }
}

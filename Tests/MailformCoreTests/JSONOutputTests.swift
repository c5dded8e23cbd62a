import Foundation
import Testing
@testable import MailformCore

/// `JSONOutput` replaced Foundation's `JSONSerialization` for `--format json`
/// and must write the same bytes: the same layout, key order, escapes and
/// numbers, for hostile strings and keys as well as plain ones.
struct JSONOutputTests {
    static func foundation(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Both writers' text, the first differing line shown when they differ.
    static func expectSame(_ object: Any, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let mine = JSONOutput.string(object), theirs = try foundation(object)
        guard mine != theirs else { return }
        let pairs = zip(mine.split(separator: "\n", omittingEmptySubsequences: false), theirs.split(separator: "\n", omittingEmptySubsequences: false))
        let first = pairs.first { $0 != $1 }.map { "mine \($0.debugDescription), Foundation \($1.debugDescription)" } ?? "lengths differ"
        Issue.record("JSONOutput differs from JSONSerialization: \(first)", sourceLocation: sourceLocation)
    }

    static let strings: [String] = {
        var controls = ""
        for i in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(i)!) }
        return ["", "plain", "smtp.acme.example", controls, "\u{7F}\u{80}\u{9F}", "a/b", "back\\slash", "\"quoted\"", "\u{2028}\u{2029}\u{FEFF}",
                "caf\u{E9}", "\u{1F600}", "\u{202E}bidi", "tab\tnew\nline\r", "\u{1B}[31mred"]
    }()
    static let keys = ["B", "a", "a_b", "ab", "a10", "a9", "\u{E9}", "Z", "_x", "a-b", "a.b", "A", "aa", "10", "9", "\u{E4}", "e",
                       "base_revision", "company", "desired", "desired_reference", "format_version", "\u{0}k", "k\"", ""]

    @Test func hostileStringsAndKeysAreWrittenAsFoundationWritesThem() throws {
        var object: [String: Any] = [:]
        for (i, key) in Self.keys.enumerated() { object[key] = Self.strings[i % Self.strings.count] }
        object["strings"] = Self.strings
        try Self.expectSame(object)
    }

    @Test func nestedEmptiesAndNumbersAreWrittenAsFoundationWritesThem() throws {
        let object: [String: Any] = [
            "empty_array": [Any](), "empty_object": [String: Any](), "null": NSNull(), "true": true, "false": false,
            "ints": [0, -1, Int.max, Int.min] as [Any], "int64": Int64(5), "doubles": [2.0, 1e15, 1e16, 0.1, -0.0, 123456.789, 1e-7, Double.pi],
            "nested": [[[Any]()], [["x": [String: Any]()]], [1, "two", ["three": [3]]]] as [Any],
        ]
        try Self.expectSame(object)
    }

    /// Keys that are the same text in other bytes (é composed, and e with
    /// a combining accent) keep their own bytes from object to object.
    @Test func keysKeepTheirOwnBytes() throws {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let document: [Any] = [[composed: 1, "a": 2] as [String: Any], [decomposed: 1, "a": 2] as [String: Any]]
        let mine = Array(JSONOutput.string(document).utf8), theirs = Array(try Self.foundation(document).utf8)
        #expect(mine == theirs)
        #expect(mine.count > 0)
        let narrow: [String: Any] = ["int8": Int8(-3), "int16": Int16(4), "uint8": UInt8(5), "uint16": UInt16(6), "uint32": UInt32(7)]
        let narrowTheirs = Array(try Self.foundation(narrow).utf8)
        #expect(Array(JSONOutput.string(narrow).utf8) == narrowTheirs)
    }

    /// Random documents from a fixed seed: objects, arrays, the strings and keys above.
    @Test func randomDocumentsAreWrittenAsFoundationWritesThem() throws {
        var generator = SplitMix(seed: 14)
        func make(_ depth: Int) -> Any {
            switch generator.next() % (depth > 3 ? 3 : 6) {
            case 0: return Self.strings[Int(generator.next() % UInt64(Self.strings.count))]
            case 1: return Int(truncatingIfNeeded: generator.next()) % 100_000
            case 2: return generator.next() % 2 == 0
            case 3: return (0..<Int(generator.next() % 4)).map { _ in make(depth + 1) }
            default:
                var object: [String: Any] = [:]
                for _ in 0..<Int(generator.next() % 6) { object[Self.keys[Int(generator.next() % UInt64(Self.keys.count))]] = make(depth + 1) }
                return object
            }
        }
        for _ in 0..<200 {
            let document: [String: Any] = ["root": make(0), "more": make(1)]
            try Self.expectSame(document)
        }
    }

    /// A lazy array is written like the array of its elements, made one at a time.
    @Test func aLazyArrayIsWrittenLikeItsElements() throws {
        let elements: [Any] = [["company": "acme", "fields": [["path": "a"]]], ["company": "b\u{1B}"], [Any]()]
        var made = 0
        let lazy = JSONOutput.LazyArray(count: elements.count) { i in made += 1; return elements[i] }
        var pieces: [String] = []
        JSONOutput.write(["changes": lazy, "format_version": 1]) { pieces.append($0) }
        #expect(pieces.joined() == (try Self.foundation(["changes": elements, "format_version": 1])))
        #expect(made == elements.count)
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Foundation
import Testing
@testable import MailformCore

/// The error codes are a published interface: `docs/errors.md` lists each
/// with its meaning, and every error type in `Sources/` has the one shape.
@Suite struct ErrorCodeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The table `docs/errors.md` holds, made from `ErrorCode`.
    static func table() -> String {
        var out = "| code | meaning |\n|---|---|\n"
        for code in ErrorCode.allCases { out += "| `\(code.rawValue)` | \(code.meaning) |\n" }
        return out
    }

    @Test func docsListEveryCodeWithItsMeaning() throws {
        let url = Self.root.appendingPathComponent("docs/errors.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- codes: made from ErrorCode by ErrorCodeTests; RECORD_SNAPSHOTS=1 rewrites it -->\n"
        let end = "<!-- end of codes -->"
        guard let start = text.range(of: begin), let stop = text.range(of: end) else {
            Issue.record("docs/errors.md has no generated table")
            return
        }
        let current = String(text[start.upperBound..<stop.lowerBound])
        if current != Self.table(), ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try (String(text[..<start.upperBound]) + Self.table() + String(text[stop.lowerBound...])).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(current == Self.table(), "docs/errors.md is not ErrorCode's list; run with RECORD_SNAPSHOTS=1")
    }

    /// Every rule id in Sources (diagnostics and DNS-stage findings, in the
    /// forms they are written in) is listed in docs/errors.md, and the list
    /// holds no id the code does not have.
    @Test func docsListEveryRuleID() throws {
        let patterns = [#"rule: "([a-z0-9-]+)""#, #"let id = "([a-z0-9-]+)""#, #"finding\("([a-z0-9-]+)""#, #"\bid: "([a-z0-9]+-[a-z0-9-]+)""#,
                        #"static let \w+ = "(dns-[a-z0-9-]+)""#, #""(dns-(?:timeout|servfail))""#,
                        #"(?:case \.\w+[^:\n]*|default):? "(secret-[a-z-]+)""#]
        var found: Set<String> = []
        let files = FileManager.default.enumerator(at: Self.root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for pattern in patterns {
                let regex = try NSRegularExpression(pattern: pattern)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    found.insert(String(text[Range(match.range(at: 1), in: text)!]))
                }
            }
        }
        #expect(found.count >= 55, "the scan found only \(found.count) ids")
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/errors.md"), encoding: .utf8)
        let section = try #require(docs.components(separatedBy: "<!-- rules:").last?.components(separatedBy: "<!-- end of rules -->").first)
        let listed = Set(try NSRegularExpression(pattern: #"^\| `([a-zA-Z0-9-]+)` \|"#, options: .anchorsMatchLines)
            .matches(in: section, range: NSRange(section.startIndex..., in: section))
            .map { String(section[Range($0.range(at: 1), in: section)!]) })
        #expect(found.subtracting(listed).isEmpty, "rule ids not in docs/errors.md: \(found.subtracting(listed).sorted())")
        let patternsListed = listed.filter { $0.hasPrefix("PROVIDER-") }
        #expect(listed.subtracting(found).subtracting(patternsListed).isEmpty,
                "ids in docs/errors.md that the code does not have: \(listed.subtracting(found).subtracting(patternsListed).sorted())")
    }

    @Test func codesAreKebabCaseAndMeaningsAreOneLine() {
        for code in ErrorCode.allCases {
            #expect(code.rawValue.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, "\(code.rawValue)")
            #expect(!code.meaning.isEmpty && !code.meaning.contains("\n") && !code.meaning.contains("|"), "\(code.rawValue)")
        }
    }

    /// Every error type declared in `Sources/` has the one shape: it is a
    /// `MailformError`, by its declaration or by an extension. The modules
    /// below MailformCore (the JSON Schema, SPF, DNS and deliverability
    /// libraries) do not see the protocol: their public errors conform in
    /// the module that reports them, and their internal ones never leave
    /// them (they become findings). Those internal ones are named here.
    @Test func everyErrorTypeIsAMailformError() throws {
        let internalBelowCore: Set<String> = ["SPFAbort", "RecordProblem", "DKIMKeyError", "Failure@ECMARegex.swift"]
        var declared: [(name: String, file: String, conforms: Bool)] = []
        var extended: Set<String> = []
        let sources = Self.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        let declaration = try NSRegularExpression(pattern: #"^\s*(?:public |private |fileprivate |internal )?(?:struct|enum|class) (\w+)(?:<[^>]*>)?: ([^{]*)\{"#,
                                                  options: .anchorsMatchLines)
        let extensionPattern = try NSRegularExpression(pattern: #"^extension ([\w.]+): ([^{]*)\{"#, options: .anchorsMatchLines)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let range = NSRange(text.startIndex..., in: text)
            for match in declaration.matches(in: text, range: range) {
                let name = String(text[Range(match.range(at: 1), in: text)!])
                let conformances = text[Range(match.range(at: 2), in: text)!].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if conformances.contains("Error") || conformances.contains("MailformError") {
                    declared.append((name, file.lastPathComponent, conformances.contains("MailformError")))
                }
            }
            for match in extensionPattern.matches(in: text, range: range) {
                let conformances = text[Range(match.range(at: 2), in: text)!]
                if conformances.contains("MailformError") {
                    extended.insert(String(text[Range(match.range(at: 1), in: text)!].split(separator: ".").last!))
                }
            }
        }
        #expect(declared.count >= 35, "the scan found only \(declared.count) error types")
        let other = declared.filter { !$0.conforms && !extended.contains($0.name)
            && !internalBelowCore.contains($0.name) && !internalBelowCore.contains("\($0.name)@\($0.file)") }
        #expect(other.isEmpty, "error types that are not MailformError: \(other.map { "\($0.name) in \($0.file)" })")
    }
}

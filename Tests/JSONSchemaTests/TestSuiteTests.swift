import Foundation
import Testing
@testable import JSONSchema
import SuiteSupport

/// Runs the official JSON Schema Test Suite (draft 2020-12) for every keyword
/// the validator supports.
///
/// The suite lives in `../shared/testdata/json-schema-test-suite/` beside the
/// project, or where `JSON_SCHEMA_TEST_SUITE` points (see ``SuiteLocation``):
/// without it the tests are reported as skipped, and on CI (`CI=true`) they fail.
/// A group whose schema uses a keyword outside the supported set (for example
/// `$dynamicRef` or `unevaluatedProperties`), or a reference to a remote
/// document, is counted as out of scope and listed.
struct TestSuiteTests {
    static let suite = SuiteLocation(
        name: "JSON Schema Test Suite", folder: "json-schema-test-suite",
        layouts: ["draft2020-12", "tests/draft2020-12"], environmentVariable: "JSON_SCHEMA_TEST_SUITE")

    /// The files of the keywords mailform's validator implements.
    static let supportedFiles = [
        "additionalProperties", "allOf", "anchor", "anyOf", "boolean_schema", "const", "contains",
        "default", "defs", "dependentRequired", "dependentSchemas", "enum", "exclusiveMaximum",
        "exclusiveMinimum", "format", "if-then-else", "infinite-loop-detection", "items",
        "maxContains", "maxItems", "maxLength", "maxProperties", "maximum", "minContains", "minItems",
        "minLength", "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern",
        "patternProperties", "prefixItems", "properties", "propertyNames", "ref", "required", "type",
        "uniqueItems",
    ]

    /// Optional files whose every case must pass: ECMA-262 regex semantics of
    /// `pattern` / `patternProperties` (see `ECMARegex`).
    static let optionalFiles = ["optional/ecmascript-regex", "optional/non-bmp-regex"]

    /// `format: "regex"` files: mailform does not assert that format, so their
    /// data are checked against `ECMARegex`'s syntax verdict instead.
    static let regexFormatFiles = ["optional/format/ecmascript-regex", "optional/format/regex"]

    /// Keywords the validator does not implement; groups using them are out of scope.
    static let unsupportedKeywords: Set<String> = [
        "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "unevaluatedItems", "unevaluatedProperties",
        "$vocabulary",
    ]

    @Test(.enabled(if: suite.shouldRun, suite.skipComment), arguments: supportedFiles + optionalFiles)
    func keywordFile(_ name: String) throws {
        let dir = try Self.suite.require()
        let text = try String(contentsOf: dir.appendingPathComponent("\(name).json"), encoding: .utf8)
        let groups = try JSONParser.parse(text)
        var failures: [String] = []
        var outOfScope: [String] = []
        for group in groups.value.elements ?? [] {
            let description = group["description"]?.value.stringValue ?? "?"
            guard let schema = group["schema"] else { continue }
            if let reason = Self.usesUnsupportedDeep(schema) {
                outOfScope.append("\(description) (\(reason))")
                continue
            }
            let validator: Validator
            do {
                validator = try Validator(schema: schema, baseURI: "urn:test:root", options: .init(assertFormats: false))
            } catch {
                failures.append("\(description): schema did not compile: \(error)")
                continue
            }
            for test in group["tests"]?.value.elements ?? [] {
                guard let data = test["data"], case .bool(let expected)? = test["valid"]?.value else { continue }
                let valid = validator.isValid(data)
                if valid != expected {
                    failures.append("\(description) / \(test["description"]?.value.stringValue ?? "?"): expected \(expected ? "valid" : "invalid")")
                }
            }
        }
        if !outOfScope.isEmpty {
            print("\(name).json: \(outOfScope.count) group(s) out of scope: \(outOfScope.joined(separator: "; "))")
        }
        #expect(failures.isEmpty, Comment(rawValue: "\(name).json:\n" + failures.joined(separator: "\n")))
    }

    /// Each string datum is a pattern; `valid` says whether it is ECMA-262.
    /// Valid patterns `ECMARegex` refuses to run (backreferences, unbounded
    /// lookbehind) still count as valid syntax here.
    @Test(.enabled(if: suite.shouldRun, suite.skipComment), arguments: regexFormatFiles)
    func regexFormatFile(_ name: String) throws {
        let dir = try Self.suite.require()
        let text = try String(contentsOf: dir.appendingPathComponent("\(name).json"), encoding: .utf8)
        var failures: [String] = []
        var checked = 0
        for group in try JSONParser.parse(text).value.elements ?? [] {
            for test in group["tests"]?.value.elements ?? [] {
                guard case .string(let pattern)? = test["data"]?.value, case .bool(let expected)? = test["valid"]?.value
                else { continue }
                checked += 1
                var valid = true
                do { _ = try ECMARegex.translate(pattern) } catch { valid = error.kind != .syntax }
                if valid != expected {
                    failures.append("\(pattern): expected \(expected ? "valid" : "invalid")")
                }
            }
        }
        #expect(checked > 0)
        #expect(failures.isEmpty, Comment(rawValue: "\(name).json:\n" + failures.joined(separator: "\n")))
    }

    static func usesUnsupportedDeep(_ schema: JSONNode) -> String? {
        // A remote ref is in scope when the same document declares the resource.
        var ids: Set<String> = []
        collectIDs(schema, into: &ids)
        return scan(schema, ids: ids)
    }

    static func collectIDs(_ node: JSONNode, into ids: inout Set<String>) {
        switch node.value {
        case .object(let members):
            for member in members {
                if member.key == "$id", let id = member.value.value.stringValue { ids.insert(id) }
                if member.key == "enum" || member.key == "const" { continue }
                collectIDs(member.value, into: &ids)
            }
        case .array(let elements):
            for element in elements { collectIDs(element, into: &ids) }
        default: break
        }
    }

    static func scan(_ node: JSONNode, ids: Set<String>) -> String? {
        switch node.value {
        case .object(let members):
            for member in members {
                if unsupportedKeywords.contains(member.key) { return member.key }
                if member.key == "enum" || member.key == "const" { continue }
                if member.key == "$ref", let ref = member.value.value.stringValue, ref.hasPrefix("http") {
                    let base = ref.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ref
                    if !ids.contains(where: { $0 == base || base.hasSuffix($0) || $0.hasPrefix(base) }) {
                        return "remote $ref \(ref)"
                    }
                }
                if let found = scan(member.value, ids: ids) { return found }
            }
        case .array(let elements):
            for element in elements { if let found = scan(element, ids: ids) { return found } }
        default: break
        }
        return nil
    }
}

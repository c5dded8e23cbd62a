import Foundation
import Testing
@testable import JSONSchema

/// Runs the official JSON Schema Test Suite (draft 2020-12) for every keyword
/// the validator supports.
///
/// The suite lives in `../shared/testdata/json-schema-test-suite/` beside the
/// project (CI has it). A group whose schema uses a keyword outside the
/// supported set (for example `$dynamicRef` or `unevaluatedProperties`), or a
/// reference to a remote document, is counted as out of scope and listed.
struct TestSuiteTests {
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

    /// Keywords the validator does not implement; groups using them are out of scope.
    static let unsupportedKeywords: Set<String> = [
        "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "unevaluatedItems", "unevaluatedProperties",
        "$vocabulary",
    ]

    static var suiteDirectory: URL? {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<6 {
            dir.deleteLastPathComponent()
            let candidate = dir.appendingPathComponent("shared/testdata/json-schema-test-suite/tests/draft2020-12")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            let flat = dir.appendingPathComponent("shared/testdata/json-schema-test-suite/draft2020-12")
            if FileManager.default.fileExists(atPath: flat.path) { return flat }
        }
        return nil
    }

    @Test(arguments: supportedFiles)
    func keywordFile(_ name: String) throws {
        guard let dir = Self.suiteDirectory else {
            print("JSON Schema Test Suite not found beside the project; skipping \(name)")
            return
        }
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

import Foundation

/// Validates JSON instances against a compiled JSON Schema 2020-12.
///
/// For example:
///
///     let validator = try Validator(schemaJSON: text)
///     let violations = validator.validate(document)
///
/// Every violation is reported (not only the first), each with the path and
/// position of the offending node, so a user sees all problems of a file at once.
public final class Validator: @unchecked Sendable {
    public struct Options: Sendable {
        /// When true, `format` is an assertion (email, hostname, uri, ...); when
        /// false it is an annotation, as the 2020-12 default vocabulary says.
        public var assertFormats: Bool
        public init(assertFormats: Bool = true) { self.assertFormats = assertFormats }
    }

    let root: Schema
    let options: Options

    /// Compiles a schema document. Throws ``SchemaError`` for a malformed schema or
    /// a `$ref` that resolves to nothing.
    public init(schema document: JSONNode, baseURI: String = "urn:mailform:root", options: Options = Options()) throws {
        let compiler = SchemaCompiler()
        compiler.register(document, baseURI: baseURI)
        self.root = try compiler.compileRoot(uri: baseURI)
        self.options = options
    }

    public convenience init(schemaJSON: String, options: Options = Options()) throws {
        try self.init(schema: JSONParser.parse(schemaJSON), options: options)
    }

    /// All violations of `instance`, in document order of discovery.
    public func validate(_ instance: JSONNode) -> [Violation] {
        var violations: [Violation] = []
        var path: [PathElement] = []
        check(root, instance, &path, &violations)
        return violations
    }

    public func isValid(_ instance: JSONNode) -> Bool { validate(instance).isEmpty }

    // MARK: - Keywords

    private func check(_ schema: Schema, _ node: JSONNode, _ path: inout [PathElement], _ out: inout [Violation]) {
        if let boolean = schema.boolean {
            if boolean == .alwaysInvalid { out.append(Violation(path: path, mark: node.mark, kind: .falseSchema)) }
            return
        }
        if let target = schema.refTarget { check(target, node, &path, &out) }
        if let types = schema.types, !types.contains(where: { Self.matches(type: $0, node.value) }) {
            out.append(Violation(path: path, mark: node.mark, kind: .type(expected: types, actual: node.value)))
            // Later keywords of this schema would only repeat the type problem.
            return
        }
        if let allowed = schema.enumValues, !allowed.contains(where: { $0 == node.value }) {
            out.append(Violation(path: path, mark: node.mark, kind: .notInEnum(allowed: allowed, actual: node.value)))
        }
        if let expected = schema.constValue, !(expected == node.value) {
            out.append(Violation(path: path, mark: node.mark, kind: .notConst(expected: expected, actual: node.value)))
        }
        switch node.value {
        case .object(let members): checkObject(schema, node, members, &path, &out)
        case .array(let elements): checkArray(schema, node, elements, &path, &out)
        case .string(let s): checkString(schema, node, s, &path, &out)
        case .integer, .number: checkNumber(schema, node, &path, &out)
        default: break
        }
        for sub in schema.allOf { check(sub, node, &path, &out) }
        if !schema.anyOf.isEmpty { checkAlternatives(schema.anyOf, node, exactlyOne: false, &path, &out) }
        if !schema.oneOf.isEmpty { checkAlternatives(schema.oneOf, node, exactlyOne: true, &path, &out) }
        if let not = schema.not, passes(not, node, path) {
            out.append(Violation(path: path, mark: node.mark, kind: .matchesNot))
        }
        if let condition = schema.ifSchema {
            if passes(condition, node, path) {
                if let then = schema.thenSchema { check(then, node, &path, &out) }
            } else if let otherwise = schema.elseSchema {
                check(otherwise, node, &path, &out)
            }
        }
    }

    private func passes(_ schema: Schema, _ node: JSONNode, _ path: [PathElement]) -> Bool {
        var scratch: [Violation] = []
        var p = path
        check(schema, node, &p, &scratch)
        return scratch.isEmpty
    }

    /// anyOf / oneOf. When nothing matches, the branch that got furthest is
    /// reported instead of every branch's noise: its violations when they lie
    /// below this node (the user picked that form and got a detail wrong),
    /// otherwise one "matches none of the forms" violation.
    private func checkAlternatives(_ branches: [Schema], _ node: JSONNode, exactlyOne: Bool,
                                   _ path: inout [PathElement], _ out: inout [Violation]) {
        var matched = 0
        var best: [Violation]?
        for branch in branches {
            var scratch: [Violation] = []
            check(branch, node, &path, &scratch)
            if scratch.isEmpty {
                matched += 1
                if !exactlyOne || matched > 1 { break }
            } else {
                let deep = scratch.allSatisfy { $0.path.count > path.count }
                if deep, best == nil || scratch.count < best!.count { best = scratch }
            }
        }
        if matched == 0 {
            if let best { out.append(contentsOf: best) } else {
                out.append(Violation(path: path, mark: node.mark, kind: .noAlternativeMatched(branches: branches.count)))
            }
        } else if exactlyOne && matched > 1 {
            out.append(Violation(path: path, mark: node.mark, kind: .severalAlternativesMatched(count: matched)))
        }
    }

    private func checkObject(_ schema: Schema, _ node: JSONNode, _ members: [JSONMember],
                             _ path: inout [PathElement], _ out: inout [Violation]) {
        for member in members {
            var evaluated = false
            if let propertySchema = schema.property(member.key) {
                evaluated = true
                path.append(.key(member.key))
                check(propertySchema, member.value, &path, &out)
                path.removeLast()
            }
            for (regex, patternSchema) in schema.patternProperties where Self.search(regex, member.key) {
                evaluated = true
                path.append(.key(member.key))
                check(patternSchema, member.value, &path, &out)
                path.removeLast()
            }
            if !evaluated, let additional = schema.additionalProperties {
                path.append(.key(member.key))
                if additional.boolean == .alwaysInvalid {
                    out.append(Violation(path: path, mark: member.keyMark ?? member.value.mark,
                                         kind: .unknownProperty(member.key, allowed: schema.propertyNamesList)))
                } else {
                    check(additional, member.value, &path, &out)
                }
                path.removeLast()
            }
            if let names = schema.propertyNames {
                path.append(.key(member.key))
                check(names, JSONNode(.string(member.key), mark: member.keyMark), &path, &out)
                path.removeLast()
            }
        }
        for name in schema.required where !members.contains(where: { $0.key == name }) {
            out.append(Violation(path: path, mark: node.mark, kind: .missingProperty(name)))
        }
        if let min = schema.minProperties, members.count < min {
            out.append(Violation(path: path, mark: node.mark, kind: .tooFewProperties(min: min)))
        }
        if let max = schema.maxProperties, members.count > max {
            out.append(Violation(path: path, mark: node.mark, kind: .tooManyProperties(max: max)))
        }
        for (property, needed) in schema.dependentRequired where members.contains(where: { $0.key == property }) {
            for name in needed where !members.contains(where: { $0.key == name }) {
                out.append(Violation(path: path, mark: node.mark, kind: .dependentRequired(property: property, missing: name)))
            }
        }
        for (property, dependent) in schema.dependentSchemas where members.contains(where: { $0.key == property }) {
            check(dependent, node, &path, &out)
        }
    }

    private func checkArray(_ schema: Schema, _ node: JSONNode, _ elements: [JSONNode],
                            _ path: inout [PathElement], _ out: inout [Violation]) {
        for (i, element) in elements.enumerated() {
            let itemSchema = i < schema.prefixItems.count ? schema.prefixItems[i] : schema.items
            guard let itemSchema else { continue }
            path.append(.index(i))
            check(itemSchema, element, &path, &out)
            path.removeLast()
        }
        if let min = schema.minItems, elements.count < min {
            out.append(Violation(path: path, mark: node.mark, kind: .tooFewItems(min: min, actual: elements.count)))
        }
        if let max = schema.maxItems, elements.count > max {
            out.append(Violation(path: path, mark: node.mark, kind: .tooManyItems(max: max, actual: elements.count)))
        }
        if schema.uniqueItems {
            search: for i in elements.indices {
                for j in elements.indices where j > i && elements[i].value == elements[j].value {
                    path.append(.index(j))
                    out.append(Violation(path: path, mark: elements[j].mark, kind: .duplicateItems(first: i, second: j)))
                    path.removeLast()
                    break search
                }
            }
        }
        if let contains = schema.contains {
            let count = elements.reduce(0) { $0 + (passes(contains, $1, path) ? 1 : 0) }
            let min = schema.minContains ?? 1
            if count < min {
                out.append(Violation(path: path, mark: node.mark, kind: .containsTooFew(min: min, actual: count)))
            }
            if let max = schema.maxContains, count > max {
                out.append(Violation(path: path, mark: node.mark, kind: .containsTooMany(max: max, actual: count)))
            }
        }
    }

    private func checkString(_ schema: Schema, _ node: JSONNode, _ string: String,
                             _ path: inout [PathElement], _ out: inout [Violation]) {
        if schema.minLength != nil || schema.maxLength != nil {
            let length = string.unicodeScalars.count
            if let min = schema.minLength, length < min {
                out.append(Violation(path: path, mark: node.mark, kind: .tooShort(min: min, actual: string)))
            }
            if let max = schema.maxLength, length > max {
                out.append(Violation(path: path, mark: node.mark, kind: .tooLong(max: max, actual: string)))
            }
        }
        if let pattern = schema.pattern, !Self.search(pattern.regex, string) {
            out.append(Violation(path: path, mark: node.mark,
                                 kind: .patternMismatch(pattern: pattern.source, actual: string,
                                                        customMessage: schema.patternErrorMessage)))
        }
        if options.assertFormats, let format = schema.format, !Formats.check(format, string) {
            out.append(Violation(path: path, mark: node.mark, kind: .format(format, actual: string)))
        }
    }

    private func checkNumber(_ schema: Schema, _ node: JSONNode, _ path: inout [PathElement], _ out: inout [Violation]) {
        guard let value = node.value.doubleValue else { return }
        if let min = schema.minimum, value < min {
            out.append(Violation(path: path, mark: node.mark, kind: .belowMinimum(min, actual: node.value, exclusive: false)))
        }
        if let min = schema.exclusiveMinimum, value <= min {
            out.append(Violation(path: path, mark: node.mark, kind: .belowMinimum(min, actual: node.value, exclusive: true)))
        }
        if let max = schema.maximum, value > max {
            out.append(Violation(path: path, mark: node.mark, kind: .aboveMaximum(max, actual: node.value, exclusive: false)))
        }
        if let max = schema.exclusiveMaximum, value >= max {
            out.append(Violation(path: path, mark: node.mark, kind: .aboveMaximum(max, actual: node.value, exclusive: true)))
        }
        if let divisor = schema.multipleOf, !Self.isMultiple(value, of: divisor, node.value) {
            out.append(Violation(path: path, mark: node.mark, kind: .notMultipleOf(divisor, actual: node.value)))
        }
    }

    static func isMultiple(_ value: Double, of divisor: Double, _ raw: JSONValue) -> Bool {
        if case .integer(let i) = raw, divisor.rounded() == divisor, abs(divisor) < 9e15 {
            return i % Int(divisor) == 0
        }
        let quotient = value / divisor
        guard quotient.isFinite else { return false }
        return abs(quotient - quotient.rounded()) < 1e-9
    }

    static func matches(type: String, _ value: JSONValue) -> Bool {
        switch type {
        case "null": if case .null = value { return true }
        case "boolean": if case .bool = value { return true }
        case "string": if case .string = value { return true }
        case "array": if case .array = value { return true }
        case "object": if case .object = value { return true }
        case "number":
            switch value { case .integer, .number: return true; default: break }
        case "integer":
            switch value {
            case .integer: return true
            case .number(let d): return d.isFinite && d.rounded() == d
            default: break
            }
        default: break
        }
        return false
    }

    static func search(_ regex: NSRegularExpression, _ string: String) -> Bool {
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        return regex.firstMatch(in: string, options: [], range: range) != nil
    }
}

/// One step of a path into a JSON instance.
public enum PathElement: Hashable, Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let k): k
        case .index(let i): "[\(i)]"
        }
    }
}

extension Array where Element == PathElement {
    /// The dotted form users write in hints: `smtp.port`, `smtp_pools.relay.servers[0].host`.
    public var dotted: String {
        var out = ""
        for element in self {
            switch element {
            case .key(let k): out += out.isEmpty ? k : ".\(k)"
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }

    /// The RFC 6901 JSON Pointer form: `/smtp/port`.
    public var jsonPointer: String {
        map { element -> String in
            switch element {
            case .key(let k): "/" + k.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            case .index(let i): "/\(i)"
            }
        }.joined()
    }
}

/// What a schema found wrong with an instance, in structured form.
///
/// Messages are rendered from this, so callers can override them per field
/// while the validator stays free of any domain knowledge.
public enum ViolationKind: Sendable {
    case type(expected: [String], actual: JSONValue)
    case notInEnum(allowed: [JSONValue], actual: JSONValue)
    case notConst(expected: JSONValue, actual: JSONValue)
    case missingProperty(String)
    case unknownProperty(String, allowed: [String])
    case dependentRequired(property: String, missing: String)
    case tooFewProperties(min: Int)
    case tooManyProperties(max: Int)
    case tooFewItems(min: Int, actual: Int)
    case tooManyItems(max: Int, actual: Int)
    case duplicateItems(first: Int, second: Int)
    case containsTooFew(min: Int, actual: Int)
    case containsTooMany(max: Int, actual: Int)
    case tooShort(min: Int, actual: String)
    case tooLong(max: Int, actual: String)
    case patternMismatch(pattern: String, actual: String, customMessage: String?)
    case format(String, actual: String)
    case belowMinimum(Double, actual: JSONValue, exclusive: Bool)
    case aboveMaximum(Double, actual: JSONValue, exclusive: Bool)
    case notMultipleOf(Double, actual: JSONValue)
    case matchesNot
    case noAlternativeMatched(branches: Int)
    case severalAlternativesMatched(count: Int)
    case falseSchema
}

/// A schema violation located at a path and, when the instance was read from
/// a file, at a position.
public struct Violation: Sendable {
    public var path: [PathElement]
    public var mark: Mark?
    public var kind: ViolationKind

    public init(path: [PathElement], mark: Mark?, kind: ViolationKind) {
        self.path = path
        self.mark = mark
        self.kind = kind
    }
}

/// A position in a source text, 1-based, columns counted in Unicode scalars.
///
/// `source` is an index the caller assigns to the file the mark belongs to, so
/// a tree merged from several files (a company and its profile) still knows
/// where each node came from.
public struct Mark: Hashable, Sendable, Comparable {
    public var line: Int32
    public var column: Int32
    public var source: Int32

    public init(line: Int, column: Int, source: Int = 0) {
        self.line = Int32(truncatingIfNeeded: line)
        self.column = Int32(truncatingIfNeeded: column)
        self.source = Int32(truncatingIfNeeded: source)
    }

    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.source, lhs.line, lhs.column) < (rhs.source, rhs.line, rhs.column)
    }
}

/// A JSON value that remembers where it came from.
///
/// The YAML loader builds these straight from libyaml's events, so a schema
/// violation can point at the node (or key) that caused it.
public struct JSONNode: Sendable {
    public var value: JSONValue
    /// Where the value starts; `nil` for values not read from a file.
    public var mark: Mark?

    public init(_ value: JSONValue, mark: Mark? = nil) {
        self.value = value
        self.mark = mark
    }
}

/// One key of a JSON object with the position of the key itself.
public struct JSONMember: Sendable {
    public var key: String
    public var keyMark: Mark?
    public var value: JSONNode

    public init(key: String, keyMark: Mark? = nil, value: JSONNode) {
        self.key = key
        self.keyMark = keyMark
        self.value = value
    }
}

/// The JSON data model. Integers and fractional numbers are kept apart so that
/// `587` prints as `587`, but compare equal by value as JSON Schema requires.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONNode])
    case object([JSONMember])

    /// The JSON Schema type name of the value.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number(let d): d.rounded() == d && d.isFinite ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var members: [JSONMember]? {
        if case .object(let m) = self { return m }
        return nil
    }

    public var elements: [JSONNode]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The member named `key`, if the value is an object that has it.
    public subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }
}

extension JSONNode {
    public subscript(key: String) -> JSONNode? { value[key] }
}

extension JSONValue: Equatable {
    /// JSON Schema equality: numbers by value, objects regardless of key order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case (.integer, .number), (.number, .integer), (.number, .number):
            return lhs.doubleValue == rhs.doubleValue
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.array(a), .array(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.value == $1.value }
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for member in a {
                guard let other = b.first(where: { $0.key == member.key }), other.value.value == member.value.value
                else { return false }
            }
            return true
        default: return false
        }
    }
}

extension JSONValue {
    /// A short JSON rendering for messages: `'smtp'`, `587`, `true`, `[...]`.
    public var shortDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s):
            let shown = s.count > 60 ? String(s.prefix(57)) + "..." : s
            return "'\(shown)'"
        case .array: return "a list"
        case .object: return "a mapping"
        }
    }
}

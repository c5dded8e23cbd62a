/// Plain-language messages for violations: the field and the fact, never a
/// schema dump ("port 70000 is above the maximum 65535").
extension Violation {
    /// The user's name for the place: the last key of the path, or `document`.
    public var subject: String {
        for element in path.reversed() {
            if case .key(let k) = element { return k }
        }
        return "document"
    }

    /// The mapping that holds the offending key (`smtp` for `smtp.pasword`).
    var parentDescription: String {
        let parent = Array(path.dropLast())
        return parent.isEmpty ? "the top level" : parent.dotted
    }

    public var message: String {
        switch kind {
        case let .type(expected, actual):
            let names = expected.map(Self.article).joined(separator: " or ")
            return "\(subject) must be \(names), not \(Self.article(actual.typeName)) (\(actual.shortDescription))"
        case let .notInEnum(allowed, actual):
            let list = allowed.map(\.shortDescription).joined(separator: ", ")
            return "\(actual.shortDescription) is not a valid \(subject); expected one of \(list)"
        case let .notConst(expected, _):
            return "\(subject) must be \(expected.shortDescription)"
        case let .missingProperty(name):
            return path.isEmpty ? "missing required key '\(name)'" : "missing required key '\(name)' in \(path.dotted)"
        case let .unknownProperty(name, _):
            return "unknown key '\(name)' in \(parentDescription)"
        case let .dependentRequired(property, missing):
            return "'\(missing)' is required when '\(property)' is set"
        case let .tooFewProperties(min):
            return "\(subject) needs at least \(min) \(min == 1 ? "entry" : "entries")"
        case let .tooManyProperties(max):
            return "\(subject) has more than \(max) \(max == 1 ? "entry" : "entries")"
        case let .tooFewItems(min, actual):
            return "\(subject) has \(actual) \(actual == 1 ? "item" : "items"), fewer than the minimum \(min)"
        case let .tooManyItems(max, actual):
            return "\(subject) has \(actual) items, more than the maximum \(max)"
        case let .duplicateItems(first, second):
            return "\(subject) repeats item \(first + 1) as item \(second + 1)"
        case let .containsTooFew(min, actual):
            return "\(subject) has \(actual) matching items, fewer than \(min)"
        case let .containsTooMany(max, actual):
            return "\(subject) has \(actual) matching items, more than \(max)"
        case let .tooShort(min, actual):
            return actual.isEmpty ? "\(subject) must not be empty" : "\(subject) is shorter than \(min) characters"
        case let .tooLong(max, _):
            return "\(subject) is longer than \(max) characters"
        case let .patternMismatch(pattern, actual, custom):
            if let custom { return custom.replacingOccurrences(of: "{value}", with: actual) }
            return "\(subject) '\(actual)' does not match the pattern '\(pattern)'"
        case let .format(format, actual):
            return "\(subject) '\(actual)' is not a valid \(Self.formatNoun(format))"
        case let .belowMinimum(limit, actual, exclusive):
            return exclusive
                ? "\(subject) \(actual.shortDescription) must be greater than \(Self.number(limit))"
                : "\(subject) \(actual.shortDescription) is below the minimum \(Self.number(limit))"
        case let .aboveMaximum(limit, actual, exclusive):
            return exclusive
                ? "\(subject) \(actual.shortDescription) must be less than \(Self.number(limit))"
                : "\(subject) \(actual.shortDescription) is above the maximum \(Self.number(limit))"
        case let .notMultipleOf(divisor, actual):
            return "\(subject) \(actual.shortDescription) is not a multiple of \(Self.number(divisor))"
        case .matchesNot:
            return "\(subject) has a form that is not allowed here"
        case let .noAlternativeMatched(branches):
            return "\(subject) matches none of the \(branches) allowed forms"
        case let .severalAlternativesMatched(count):
            return "\(subject) matches \(count) forms where exactly one is allowed"
        case .falseSchema:
            return path.isEmpty ? "no value is allowed here" : "\(path.dotted) is not allowed here"
        }
    }

    /// A "did you mean" hint for unknown keys, when a known key is close.
    public var suggestion: String? {
        guard case let .unknownProperty(name, allowed) = kind,
              let best = DidYouMean.closest(to: name, among: allowed) else { return nil }
        return "did you mean '\(best)'?"
    }

    static func article(_ type: String) -> String {
        switch type {
        case "integer": "an integer"
        case "object": "a mapping"
        case "array": "a list"
        case "null": "empty"
        default: "a \(type)"
        }
    }

    static func formatNoun(_ format: String) -> String {
        switch format {
        case "email": "e-mail address"
        case "hostname": "host name"
        case "uri": "URL"
        case "ipv4": "IPv4 address"
        default: format
        }
    }

    static func number(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}

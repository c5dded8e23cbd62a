import JSONSchema

public enum Severity: String, Sendable, Comparable, Codable {
    case error, warning, note

    var rank: Int { self == .error ? 0 : self == .warning ? 1 : 2 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A file and a 1-based line and column in it.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in the user's files: what is wrong, where, and what to do.
///
/// Messages start lowercase with no final period and quote values with '…';
/// the hint is an imperative that names the YAML field to change.
///
/// As an error, its code is `invalid-input`; its `rule` is the finer,
/// stable id shown in brackets.
public struct Diagnostic: MailformError, Sendable, Equatable {
    public var code: ErrorCode { .invalidInput }
    public var description: String { location.map { "\($0): \(message)" } ?? message }
    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    public var hint: String?
    /// A stable rule id, e.g. `saas-smtp-port`, shown in brackets.
    public var rule: String?
    /// Related places, e.g. the first of two duplicate keys.
    public var related: [Related]

    public struct Related: Sendable, Equatable {
        public var location: SourceLocation
        public var message: String
    }

    public init(_ severity: Severity, _ message: String, at location: SourceLocation?, hint: String? = nil,
                rule: String? = nil, related: [Related] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
        self.rule = rule
        self.related = related
    }

    public static func error(_ message: String, at location: SourceLocation?, hint: String? = nil, rule: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: location, hint: hint, rule: rule)
    }

    public static func warning(_ message: String, at location: SourceLocation?, hint: String? = nil, rule: String? = nil) -> Diagnostic {
        Diagnostic(.warning, message, at: location, hint: hint, rule: rule)
    }
}

/// Gathers diagnostics from every stage so a user sees all problems at once.
public struct DiagnosticCollector: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public var errorCount: Int { diagnostics.count { $0.severity == .error } }
    public var warningCount: Int { diagnostics.count { $0.severity == .warning } }

    public mutating func report(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
    public mutating func report(contentsOf other: [Diagnostic]) { diagnostics.append(contentsOf: other) }

    /// Diagnostics by file, then position, then severity; ones without a place last.
    public var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case let (l?, r?):
                if l != r { return l < r }
                if a.element.severity != b.element.severity { return a.element.severity < b.element.severity }
                return a.offset < b.offset
            case (nil, _?): return false
            case (_?, nil): return true
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }
}


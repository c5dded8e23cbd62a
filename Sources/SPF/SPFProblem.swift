/// Something the analyser found in a published SPF setup.
public struct SPFProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        /// Makes checks `permerror` (or `temperror`/`none`): receivers will not
        /// honour the record as published.
        case error
        /// Works, but is risky, wasteful or not what the owner probably meant.
        case warning
    }

    public var severity: Severity
    /// The domain whose record has the problem.
    public var domain: String
    /// Lowercase, stating the fact: `spf record uses 12 lookups, over the limit of 10`.
    public var message: String

    public init(severity: Severity, domain: String, message: String) {
        self.severity = severity
        self.domain = domain
        self.message = message
    }

    public var description: String { "\(severity.rawValue): \(domain): \(message)" }
}

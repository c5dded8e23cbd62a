import JSONSchema

/// A sender identity: address, display name and (for the main sender) a logo.
public struct Identity: Sendable, Equatable {
    public var email: String
    public var name: String?
    public init(email: String, name: String?) {
        self.email = email
        self.name = name
    }

    /// The part after '@', lowercased.
    public var domain: String {
        guard let at = email.utf8.lastIndex(of: UInt8(ascii: "@")) else { return email.lowercased() }
        return String(email[email.utf8.index(after: at)...]).lowercased()
    }
}

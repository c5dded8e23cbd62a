/// One field of an HTTP-API provider's section (`mailgun.domain`,
/// `sendgrid.api_key`), described once: the company file, the schema's
/// description, the plan, the saved plan, the store's column and export
/// all come from it.
public struct APIField: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Free text (a domain).
        case text
        /// One of a closed set of words; a value outside it is an error, never dropped.
        case word([String])
        /// A secret reference (`${MAILFORM_…}`, `file:…`): sealed at rest, fingerprinted in plans.
        case secret
    }

    /// The key inside the section (`domain`).
    public let name: String
    public let kind: Kind
    /// Required in a company file that has the section.
    public let required: Bool
    /// The value a file that leaves it out gets (written to the store; left out by export).
    public let defaultValue: String?
    /// A change of it sends the company through the DNS stage again.
    public let sending: Bool
    /// Lowercased when read (domain names).
    public let lowercased: Bool

    public init(_ name: String, _ kind: Kind, required: Bool = false, defaultValue: String? = nil, sending: Bool = false,
                lowercased: Bool = false) {
        self.name = name
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
        self.sending = sending
        self.lowercased = lowercased
    }

    public var isSecret: Bool { kind == .secret }

    /// The store column: a secret's column names its row in `secrets`.
    public var column: String { isSecret ? name + "_secret" : name }

    /// Whether `value` is one the field takes.
    public func accepts(_ value: String) -> Bool {
        if case .word(let words) = kind { return words.contains(value) }
        return true
    }
}

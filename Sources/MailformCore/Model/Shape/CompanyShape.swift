import JSONSchema

/// The plain company-level settings, in one non-generic value: what
/// `CompanyShape.fields` reads and writes (a `Company` of any secret type
/// gives and takes them through `scalars`).
public struct CompanyScalars: Sendable, Equatable {
    public var name: String?
    public var senderEmail = ""
    public var senderName: String?
    public var dsarEmail: String?
    public var dsarName: String?
    public var provider = Provider.platform

    public init() {}
}

/// One company-level field, described once: its key in the file and the
/// plan (`sender.email`), where the store keeps it, and where it sits in
/// a file. The logo, the pools and `probe` have forms of their own (bytes, a
/// keyed list, two spellings) and are not in the table; servers are
/// `SMTPServerShape`, an HTTP-API provider's section its `APIField`s.
///
/// A class, as `ServerField` is (walked for every company); `sending` is set
/// only while the static table is built.
public final class CompanyField: @unchecked Sendable {
    /// The store table and column.
    public enum Place: Sendable, Equatable {
        case companies(String)
    }

    /// Where the field is written: before the logo (in `sender:`), or
    /// between the logo and the SMTP account.
    public enum Section: Sendable, Equatable { case head, body }

    public let key: String
    public let parts: [String]
    public let place: Place
    public let section: Section
    /// Required in a company file (an error names it when missing).
    public let required: Bool
    /// A closed set of words: a value outside it is an error, never dropped.
    public let isWord: Bool
    public let isSecret: Bool
    /// A change of it changes how the company's mail is received (its
    /// domains, or how it sends): the DNS stage checks the company again.
    public internal(set) var sending = false
    let get: @Sendable (CompanyScalars) -> String?
    let set: @Sendable (inout CompanyScalars, String?) -> Bool

    init(_ key: String, _ place: Place, _ section: Section, required: Bool = false, isWord: Bool = false, isSecret: Bool = false,
         get: @escaping @Sendable (CompanyScalars) -> String?, set: @escaping @Sendable (inout CompanyScalars, String?) -> Bool) {
        self.key = key
        self.parts = key.split(separator: ".").map(String.init)
        self.place = place
        self.section = section
        self.required = required
        self.isWord = isWord
        self.isSecret = isSecret
        self.get = get
        self.set = set
    }

    public func value(_ scalars: CompanyScalars) -> String? { get(scalars) }

    func sendingField() -> CompanyField {
        sending = true
        return self
    }
    public func assign(_ value: String?, to scalars: inout CompanyScalars) -> Bool { set(&scalars, value) }

    static func text(_ key: String, _ place: Place, _ section: Section,
                     _ path: WritableKeyPath<CompanyScalars, String?> & Sendable) -> CompanyField {
        CompanyField(key, place, section, get: { $0[keyPath: path] }, set: { s, v in s[keyPath: path] = v; return true })
    }

    static func required(_ key: String, _ place: Place, _ section: Section,
                         _ path: WritableKeyPath<CompanyScalars, String> & Sendable) -> CompanyField {
        CompanyField(key, place, section, required: true, get: { $0[keyPath: path] }, set: { s, v in
            guard let v else { return false }
            s[keyPath: path] = v
            return true
        })
    }

    static func word<E: RawRepresentable & Sendable>(_ key: String, _ place: Place, _ section: Section, required: Bool,
                                                     _ path: WritableKeyPath<CompanyScalars, E?> & Sendable) -> CompanyField
    where E.RawValue == String {
        CompanyField(key, place, section, required: required, isWord: true, get: { $0[keyPath: path]?.rawValue }, set: { s, v in
            guard let v else { s[keyPath: path] = nil; return true }
            guard let e = E(rawValue: v) else { return false }
            s[keyPath: path] = e
            return true
        })
    }
}

public enum CompanyShape {
    public static let fields: [CompanyField] = [
        .text("name", .companies("name"), .head, \.name),
        .required("sender.email", .companies("sender_email"), .head, \.senderEmail).sendingField(),
        .text("sender.name", .companies("sender_name"), .head, \.senderName),
        .text("dsar_sender.email", .companies("dsar_email"), .body, \.dsarEmail).sendingField(),
        .text("dsar_sender.name", .companies("dsar_name"), .body, \.dsarName),
        .word("provider", .companies("provider"), .body, required: true, \CompanyScalars.providerWord).sendingField(),
    ]

    /// The plan paths whose change sends the company through the DNS stage
    /// again: the sending fields above and the main account's host (its
    /// address is what the sender domain's SPF must allow).
    public static let sendingPaths: Set<String> = Set(fields.filter(\.sending).map(\.key)).union(["smtp.host"])
        .union(ProviderSchemes.apis.flatMap { api in api.fields.filter(\.sending).map { api.path($0) } })

    static let head = fields.filter { $0.section == .head }
    static let body = fields.filter { $0.section == .body }

    public static func fields(in section: CompanyField.Section) -> [CompanyField] {
        switch section {
        case .head: head
        case .body: body
        }
    }

    /// The columns of a table, in table order.
    public static let companyColumns: [(field: CompanyField, column: String)] = fields.map { f in
        switch f.place { case .companies(let column): (f, column) }
    }
}

extension CompanyScalars {
    /// `provider` as an optional word, for the table's word builder.
    var providerWord: Provider? {
        get { provider }
        set { if let newValue { provider = newValue } }
    }
}

extension Company {
    /// The plain company-level settings (see `CompanyShape`). Setting them
    /// keeps the logo, the servers and the providers' sections.
    public var scalars: CompanyScalars {
        get {
            var s = CompanyScalars()
            s.name = name
            s.senderEmail = sender.email
            s.senderName = sender.name
            s.dsarEmail = dsarSender?.email
            s.dsarName = dsarSender?.name
            s.provider = provider
            return s
        }
        set {
            name = newValue.name
            sender = Identity(email: newValue.senderEmail, name: newValue.senderName)
            dsarSender = newValue.dsarEmail.map { Identity(email: $0, name: newValue.dsarName) }
            provider = newValue.provider
        }
    }
}

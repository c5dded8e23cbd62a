/// A provider's part of mailform in one place: the section of a company file
/// it reads, the endpoint the probe checks for it, and its policy rules.
/// `Policy.rules`, the unused-settings warning and the probe's changed
/// endpoints derive from `ProviderSchemes.all`, so a provider is added in
/// its own folder and registered there, not in each of them.
public protocol ProviderScheme: Sendable {
    var provider: Provider { get }
    /// The top-level section it reads (`smtp`, `mailgun`); nil when it has none.
    var section: String? { get }
    /// The probe's endpoint path for a company that uses it (`smtp`, `mailgun`).
    var endpoint: String? { get }
    var rules: [any PolicyRule] { get }
}

/// A provider reached over an HTTP API with a key (Mailgun, Mailchimp
/// Transactional, SendGrid): its section is the provider's word, its
/// fields are `fields` (a `domain` among them), its store table is made of
/// them (`table`), and its probe is `probe`.
public protocol APIProvider: ProviderScheme {
    /// The name people know it by ("Mailgun").
    var displayName: String { get }
    /// The section's fields, in the order files, plans and exports show them.
    var fields: [APIField] { get }
    /// The probe's HTTP exchange: what it asks, and what the answers mean.
    var probe: any APIProbe { get }
    /// What the DNS stage expects of the sending domain's SPF: the
    /// provider's include (`mailgun.org`), suggested when the domain has no record.
    var spfInclude: String { get }
}

extension APIProvider {
    public var section: String? { provider.rawValue }
    public var endpoint: String? { provider.rawValue }
    public var word: String { provider.rawValue }
    public var plainFields: [APIField] { fields.filter { !$0.isSecret } }
    public var secretFields: [APIField] { fields.filter(\.isSecret) }
    /// The store table, one row per company (`mailgun_settings`).
    public var table: String { word + "_settings" }
    /// The table's columns after `company_id`: the secrets' then the plain fields'.
    public var columns: [String] { secretFields.map(\.column) + plainFields.map(\.column) }
    /// The table's definition, derived from the fields: a field with a
    /// default or required is NOT NULL.
    public var tableDefinition: String {
        (["company_id TEXT PRIMARY KEY NOT NULL REFERENCES companies(id) ON DELETE CASCADE"]
            + fields.map { "\($0.column) TEXT\($0.required || $0.defaultValue != nil || $0.isSecret ? " NOT NULL" : "")" })
            .joined(separator: ",\n")
    }
    /// The field's path in plans (`mailgun.domain`).
    public func path(_ field: APIField) -> String { word + "." + field.name }
}

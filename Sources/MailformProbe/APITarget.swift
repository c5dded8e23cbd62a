import MailformCore

/// What the probe needs of one company's HTTP-API provider section.
public struct APITarget: Sendable {
    public var company: String
    public var settings: APISettings<ResolvedSecret>
    /// Where the section and each of its fields is written (by field name;
    /// `""` for the section), so a failure points at the line to change.
    public var locations: [String: SourceLocation]
    /// The sender of a `--send-test` message.
    public var sender: String = ""
    /// False when the key must not be sent (see `CredentialGate`).
    public var sendCredentials = true
    /// The key may go to any of the provider's bases (`--send-credentials`,
    /// apply); else only to the section's own region's.
    public var sendsEverywhere = false

    public init(company: String, settings: APISettings<ResolvedSecret>, locations: [String: SourceLocation]) {
        self.company = company
        self.settings = settings
        self.locations = locations
    }

    var scheme: any APIProvider { settings.scheme }
    /// The section without its secrets: what the provider's probe functions see.
    var view: APISettings<Void> { settings.map { _ in () } }
    var location: SourceLocation? { locations[""] }
}

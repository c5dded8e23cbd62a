import MailformCore

/// Which credentials a probe started from a pull request may send.
///
/// The rule (docs/security.md): a secret goes only to an endpoint that
/// already holds that same secret in the store — same company, same value by
/// fingerprint, same host, port, TLS mode, certificate checks (ssl_trust,
/// ssl_check_identity, ssl_protocols) and user name. The proxy is a trusted setting
/// (it comes from the trusted workspace), so it is the same for both. Every
/// other endpoint is probed without credentials (connect, TLS, EHLO), with a
/// note. A pull request can therefore neither point a known secret at a new
/// host or port, nor point a new secret (the store key, another tenant's
/// password) at a known host.
public struct CredentialGate: Sendable {
    private var smtp: Set<String> = []
    private var apis: Set<String> = []
    /// `--send-credentials`, or `apply` (after review): every endpoint gets them.
    public var sendsEverywhere = false

    /// The gate of the store's companies `ids` (the companies a probe reaches).
    /// - Throws: ``Reconciler/Failure`` when a company changed while it was read (a stale plan), or `DatabaseError` when the store cannot be read.
    public init(store opened: OpenedStore, companies ids: some Collection<String>) throws {
        self.init(stored: try opened.companies(ids))
    }

    init(stored: [String: StoredCompany]) {
        for (id, stored) in stored {
            for (_, server) in stored.company.smtpServers where !server.secrets.isEmpty {
                smtp.insert(Self.smtpKey(id, server.settings, server.orderedSecrets.map { ($0.key, $0.value.fingerprint.hex) }))
            }
            // Only the selected provider's section: one the platform ignores
            // was never probed with its key, so the store vouches for nothing there.
            for settings in stored.company.apis where settings.provider == stored.company.provider {
                apis.insert(Self.apiKey(id, settings, settings.secrets.map(\.fingerprint.hex)))
            }
        }
    }

    /// Why no credential may go out at all, if so: a proxy from the
    /// workspace's own file (not a trusted one) decides who carries the
    /// connection, and with a CA of its own (or a pull request's) it reads
    /// it; the gate's endpoint checks mean nothing through it.
    public static func untrustedPath(_ workspace: Workspace) -> String? {
        guard workspace.trustedFile == nil, workspace.probeProxy != nil else { return nil }
        return "no credential is sent: probe.proxy comes from the workspace's own mailform.yaml, not a trusted one; pass --trusted-workspace (the base branch's file), or --send-credentials to trust it"
    }

    /// A plan against a snapshot holds no credential: every endpoint gets
    /// connect, TLS, EHLO and QUIT only.
    public static let nowhere = CredentialGate(stored: [:])

    public static let everywhere: CredentialGate = {
        var gate = CredentialGate(stored: [:])
        gate.sendsEverywhere = true
        return gate
    }()

    /// Everything that decides who may read the secrets on the wire: every
    /// setting of the server (`SMTPServerShape.identity`: endpoint, TLS mode,
    /// certificate checks, user name, auth method and its settings such as an
    /// OAuth2 token URL), and each secret by fingerprint. A pull request that
    /// changes any of them (adds `ssl_trust: "*"`, points `oauth2.token_url`
    /// elsewhere) gets no stored secret sent.
    static func smtpKey(_ company: String, _ settings: SMTPSettings, _ fingerprints: [(String, String)]) -> String {
        func field(_ text: String) -> String { "\(text.utf8.count):\(text)" }
        return field(company) + field(SMTPServerShape.identity(settings))
            + fingerprints.map { field($0.0) + field($0.1) }.joined()
    }

    /// Whether the server's secrets may be sent to it.
    public func allowsSMTP(company: String, server: SMTPServer<ResolvedSecret>, box: SecretBox) -> Bool {
        if sendsEverywhere { return true }
        guard !server.secrets.isEmpty else { return false }
        var fingerprints: [(String, String)] = []
        for (key, value) in server.orderedSecrets {
            guard let fingerprint = try? box.fingerprint(value.secret) else { return false }
            fingerprints.append((key, fingerprint.hex))
        }
        return smtp.contains(Self.smtpKey(company, server.settings, fingerprints))
    }

    /// A provider section's identity: the company, the provider, every
    /// plain field (the domain, the region: which API the key goes to and
    /// for what) and each secret by fingerprint, each length-prefixed.
    static func apiKey<S>(_ company: String, _ settings: APISettings<S>, _ fingerprints: [String]) -> String {
        func field(_ text: String) -> String { "\(text.utf8.count):\(text)" }
        return field(company) + field(settings.provider.rawValue) + settings.values.map { $0.map(field) ?? "-" }.joined()
            + fingerprints.map(field).joined()
    }

    /// Whether a provider section's secrets may be sent to its API.
    public func allowsAPI(company: String, settings: APISettings<ResolvedSecret>, box: SecretBox) -> Bool {
        if sendsEverywhere { return true }
        var fingerprints: [String] = []
        for secret in settings.secrets {
            guard let fingerprint = try? box.fingerprint(secret.secret) else { return false }
            fingerprints.append(fingerprint.hex)
        }
        return apis.contains(Self.apiKey(company, settings, fingerprints))
    }

    /// Whether the Mailgun key may be sent to the region's API for this domain.
    public func allowsMailgun(company: String, settings: MailgunSettings<ResolvedSecret>, box: SecretBox) -> Bool {
        allowsAPI(company: company, settings: settings.settings, box: box)
    }
}

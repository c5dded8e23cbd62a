/// How an SMTP server authenticates (`auth:` under a server).
public enum SMTPAuthMethod: String, Sendable, Codable, CaseIterable {
    /// No AUTH: an anonymous relay (no username, no secret).
    case none
    case password
    /// SASL XOAUTH2 with a token from Microsoft Entra ID, Google or another
    /// OAuth2 server (`OAuth2Auth`).
    case oauth2
}

/// The settings of one SMTP endpoint that are not secrets, as Jakarta Mail
/// sees them. The fields an auth method adds (`oauth2.tenant`, ...) live in
/// `extra`, keyed like the file, so a new method adds fields without
/// changing this type (see `SMTPAuthScheme`).
public struct SMTPSettings: Sendable, Equatable {
    public var host = ""
    public var port = 587
    public var username: String?
    public var auth = SMTPAuthMethod.none
    public var starttls = StartTLS.required
    public var ssl = false
    /// Hosts whose certificate is not verified; `["*"]` means all.
    public var sslTrust: [String] = []
    public var sslCheckIdentity = true
    public var sslProtocols = ["TLSv1.2", "TLSv1.3"]
    /// Fields added by auth methods, by key (`oauth2.tenant` → `.text(...)`).
    public var extra: [String: FieldScalar] = [:]

    public init() {}

    /// Whether certificate verification is skipped for this server's host.
    public var trustsWithoutVerification: Bool { sslTrust.contains("*") || sslTrust.contains(host) }
}

/// One SMTP endpoint: its settings and its secrets.
///
/// `SecretValue` is the type parameter so the same shape holds references
/// (files), resolved secrets (desired), fingerprints (plans) and encrypted
/// values (store). Secrets are keyed by their field key (`password`,
/// `oauth2.client_secret`); `SMTPServerShape.fields` says which exist.
@dynamicMemberLookup
public struct SMTPServer<SecretValue: Sendable>: Sendable {
    public var settings: SMTPSettings
    public var secrets: [String: SecretValue]

    public init(settings: SMTPSettings, secrets: [String: SecretValue]) {
        self.settings = settings
        self.secrets = secrets
    }

    /// A server with password or no authentication (what tests and examples build).
    public init(host: String, port: Int, username: String?, password: SecretValue?, starttls: StartTLS, ssl: Bool,
                sslTrust: [String], sslCheckIdentity: Bool, sslProtocols: [String]) {
        var s = SMTPSettings()
        s.host = host
        s.port = port
        s.username = username
        s.auth = password == nil ? .none : .password
        s.starttls = starttls
        s.ssl = ssl
        s.sslTrust = sslTrust
        s.sslCheckIdentity = sslCheckIdentity
        s.sslProtocols = sslProtocols
        self.init(settings: s, secrets: password.map { ["password": $0] } ?? [:])
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<SMTPSettings, T>) -> T {
        get { settings[keyPath: path] }
        set { settings[keyPath: path] = newValue }
    }

    public var trustsWithoutVerification: Bool { settings.trustsWithoutVerification }

    public var password: SecretValue? {
        get { secrets["password"] }
        set { secrets["password"] = newValue }
    }

    /// The secrets in the order of the shape's fields.
    public var orderedSecrets: [(key: String, value: SecretValue)] {
        SMTPServerShape.secretKeys.compactMap { key in secrets[key].map { (key, $0) } }
    }

    /// - Throws: what `transform` throws.
    public func map<T>(_ transform: (SecretValue) throws -> T) rethrows -> SMTPServer<T> {
        SMTPServer<T>(settings: settings, secrets: try secrets.mapValues(transform))
    }

    /// Like `map`, with each secret's key.
    /// - Throws: what `transform` throws.
    public func mapSecrets<T>(_ transform: (String, SecretValue) throws -> T) rethrows -> SMTPServer<T> {
        var mapped: [String: T] = [:]
        for (key, value) in orderedSecrets { mapped[key] = try transform(key, value) }
        return SMTPServer<T>(settings: settings, secrets: mapped)
    }
}

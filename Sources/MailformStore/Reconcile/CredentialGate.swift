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
    private var mailgun: Set<String> = []
    /// `--send-credentials`, or `apply` (after review): every endpoint gets them.
    public var sendsEverywhere = false

    public init(store opened: OpenedStore?) {
        guard let opened else { return }
        for (id, stored) in opened.current {
            for (_, server) in stored.company.smtpServers {
                guard let password = server.password else { continue }
                smtp.insert(Self.smtpKey(id, server, password.fingerprint.hex))
            }
            if let m = stored.company.mailgun {
                mailgun.insert("\(id)|\(m.domain)|\(m.region.rawValue)|\(m.apiKey.fingerprint.hex)")
            }
        }
    }

    public static let everywhere: CredentialGate = {
        var gate = CredentialGate(store: nil)
        gate.sendsEverywhere = true
        return gate
    }()

    /// Everything that decides who may read the password on the wire: the
    /// endpoint, its TLS mode, how its certificate is checked (a pull request
    /// that adds `ssl_trust: "*"` or drops the identity check would otherwise
    /// hand the stored password to a man in the middle), the user name, and
    /// the secret itself.
    static func smtpKey<S>(_ company: String, _ s: SMTPServer<S>, _ fingerprint: String) -> String {
        // Length-prefixed fields: no value (a user name or an ssl_trust item
        // holding '|' or ',') can shift one field into another.
        func field(_ text: String) -> String { "\(text.utf8.count):\(text)" }
        let trust = s.sslTrust.sorted().map(field).joined()
        let protocols = s.sslProtocols.sorted().map(field).joined()
        return [company, s.host.lowercased(), String(s.port), String(s.ssl), s.starttls.rawValue, s.username ?? "",
                trust, String(s.sslCheckIdentity), protocols, fingerprint].map(field).joined()
    }

    /// Whether the server's password may be sent to it.
    public func allowsSMTP(company: String, server: SMTPServer<ResolvedSecret>, box: SecretBox) -> Bool {
        if sendsEverywhere { return true }
        guard let password = server.password, let fingerprint = try? box.fingerprint(password.secret) else { return false }
        return smtp.contains(Self.smtpKey(company, server, fingerprint.hex))
    }

    /// Whether the Mailgun key may be sent to the region's API for this domain.
    public func allowsMailgun(company: String, settings: MailgunSettings<ResolvedSecret>, box: SecretBox) -> Bool {
        if sendsEverywhere { return true }
        guard let fingerprint = try? box.fingerprint(settings.apiKey.secret) else { return false }
        return mailgun.contains("\(company)|\(settings.domain)|\(settings.region.rawValue)|\(fingerprint.hex)")
    }
}

import MailformCore

/// Which credentials a probe started from a pull request may send.
///
/// The rule (docs/security.md): a secret goes only to an endpoint that
/// already holds that same secret in the store — same company, same value by
/// fingerprint, same host, port and TLS mode. The proxy is a trusted setting
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
                smtp.insert(Self.smtpKey(id, server.host, server.port, server.ssl, server.starttls, password.fingerprint.hex))
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

    static func smtpKey(_ company: String, _ host: String, _ port: Int, _ ssl: Bool, _ starttls: StartTLS, _ fingerprint: String) -> String {
        "\(company)|\(host.lowercased())|\(port)|\(ssl)|\(starttls.rawValue)|\(fingerprint)"
    }

    /// Whether the server's password may be sent to it.
    public func allowsSMTP(company: String, server: SMTPServer<ResolvedSecret>, box: SecretBox) -> Bool {
        if sendsEverywhere { return true }
        guard let password = server.password, let fingerprint = try? box.fingerprint(password.secret) else { return false }
        return smtp.contains(Self.smtpKey(company, server.host, server.port, server.ssl, server.starttls, fingerprint.hex))
    }

    /// Whether the Mailgun key may be sent to the region's API for this domain.
    public func allowsMailgun(company: String, settings: MailgunSettings<ResolvedSecret>, box: SecretBox) -> Bool {
        if sendsEverywhere { return true }
        guard let fingerprint = try? box.fingerprint(settings.apiKey.secret) else { return false }
        return mailgun.contains("\(company)|\(settings.domain)|\(settings.region.rawValue)|\(fingerprint.hex)")
    }
}

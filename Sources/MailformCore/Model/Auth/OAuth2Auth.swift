/// Who issues the OAuth2 token (`oauth2.provider`).
public enum OAuth2Provider: String, Sendable, CaseIterable {
    /// Microsoft Entra ID (Exchange Online): client credentials for an app
    /// registration in the tenant.
    case microsoft
    /// Google Workspace: a service account with domain-wide delegation, a
    /// JWT assertion signed with its key, `sub` = the mailbox.
    case google
    /// Any OAuth2 server: client credentials at `token_url`.
    case generic
}

/// `auth: oauth2`: SASL XOAUTH2 (`user=MAILBOX^Aauth=Bearer TOKEN^A^A`) with a
/// token the platform fetches before each connection. Microsoft turns SMTP
/// AUTH with passwords off by default for Exchange Online at the end of 2026;
/// this is the supported way on.
///
/// ```yaml
/// smtp:
///   host: smtp.office365.com
///   username: mailer@acme.com
///   auth: oauth2
///   oauth2:
///     provider: microsoft
///     tenant: 8f0c6f1e-...
///     client_id: 3f2a9c4d-...
///     client_secret: ${env:MAILFORM_ACME_OAUTH_SECRET}
/// ```
public struct OAuth2Auth: SMTPAuthScheme {
    public init() {}
    public var method: SMTPAuthMethod { .oauth2 }

    public var fields: [ServerField] {
        [
            .extraWord("oauth2.provider", OAuth2Provider.self),
            .extraText("oauth2.tenant"),
            .extraText("oauth2.client_id"),
            .secret("oauth2.client_secret", envSuffix: "OAUTH2_CLIENT_SECRET"),
            .secret("oauth2.service_account_key", envSuffix: "OAUTH2_SERVICE_ACCOUNT_KEY"),
            .extraText("oauth2.token_url"),
            .extraText("oauth2.scope"),
        ]
    }

    public var rules: [any PolicyRule] { [BasicAuthRetirementRule()] }

    /// The scope each provider's SMTP needs.
    public static func defaultScope(_ provider: OAuth2Provider) -> String? {
        switch provider {
        case .microsoft: "https://outlook.office365.com/.default"
        case .google: "https://mail.google.com/"
        case .generic: nil
        }
    }
}

extension SMTPSettings {
    public var oauth2Provider: OAuth2Provider? { extraText("oauth2.provider").flatMap(OAuth2Provider.init) }
    public var oauth2Tenant: String? { extraText("oauth2.tenant") }
    public var oauth2ClientID: String? { extraText("oauth2.client_id") }
    public var oauth2TokenURL: String? { extraText("oauth2.token_url") }
    /// The scope asked for: the file's, else the provider's.
    public var oauth2Scope: String? { extraText("oauth2.scope") ?? oauth2Provider.flatMap(OAuth2Auth.defaultScope) }
}

/// Exchange Online with a password: Microsoft disables Basic authentication
/// for SMTP AUTH by default at the end of December 2026 (new tenants cannot
/// turn it on), and the server then answers `535 5.7.139`. Warn before the
/// mail stops, with the block to write.
struct BasicAuthRetirementRule: PolicyRule {
    let id = "oauth2-basic-auth-retired"

    static func isExchangeOnline(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "smtp.office365.com" || h.hasSuffix(".outlook.com") || h == "outlook.com"
    }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            guard server.auth == .password, Self.isExchangeOnline(server.host) else { return nil }
            return warning("\(path) signs in to Exchange Online with a password; Microsoft disables Basic authentication for SMTP AUTH by default at the end of December 2026, and the server will answer 535 5.7.139",
                           at: context.location("\(path).password"),
                           hint: "switch \(path) to OAuth2: remove password and write auth: oauth2 with oauth2: {provider: microsoft, tenant: <directory id>, client_id: <application id>, client_secret: ${env:MAILFORM_\(context.company.id.uppercased().replacingOccurrences(of: "-", with: "_"))_OAUTH_SECRET}}")
        }
    }
}

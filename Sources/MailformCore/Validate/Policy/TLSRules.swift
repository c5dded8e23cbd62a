/// A username without a password (or the reverse) cannot authenticate.
struct CredentialsPairRule: PolicyRule {
    let id = "smtp-credentials-pair"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            // Other methods bring their own secrets (OAuth2: a client secret or key).
            guard server.auth == .password || server.auth == .none else { return nil }
            switch (server.username, server.password) {
            case (_?, nil):
                return error("\(path) has a username but no password", at: context.location("\(path).username"),
                             hint: "add \(path).password, or remove \(path).username for an anonymous relay")
            case (nil, _?):
                return error("\(path) has a password but no username", at: context.location("\(path).password"),
                             hint: "add \(path).username")
            default:
                return nil
            }
        }
    }
}

/// STARTTLS and implicit TLS exclude each other.
struct TLSExclusiveRule: PolicyRule {
    let id = "tls-exclusive"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            guard server.ssl, server.starttls != .off else { return nil }
            return error("starttls and ssl are both on; a connection uses either STARTTLS or implicit TLS",
                         at: context.location("\(path).starttls"),
                         hint: "set \(path).starttls: off for implicit TLS (port 465), or ssl: false for STARTTLS (port 587)")
        }
    }
}

/// TLS 1.0 and 1.1 are broken; on-premise may still need them, so a warning.
struct LegacyTLSRule: PolicyRule {
    let id = "tls-legacy-protocol"
    func applies(to mode: Mode) -> Bool { mode == .onPremise }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.flatMap { path, server in
            server.sslProtocols.enumerated().compactMap { index, version in
                guard version == "TLSv1" || version == "TLSv1.1" else { return nil }
                return warning("\(version) is deprecated and insecure", at: context.location("\(path).ssl_protocols[\(index)]"),
                               hint: "remove \(version) from \(path).ssl_protocols once the server supports TLS 1.2")
            }
        }
    }
}

/// `ssl_trust: "*"` turns certificate verification off for every host.
struct TrustAllRule: PolicyRule {
    let id = "ssl-trust-all"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            guard server.sslTrust.contains("*") else { return nil }
            return warning("ssl_trust '*' accepts any certificate, so the connection can be intercepted",
                           at: context.location("\(path).ssl_trust"),
                           hint: "list only the hosts that need it in \(path).ssl_trust, or use probe.ca_file for a private CA")
        }
    }
}

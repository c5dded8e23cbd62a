/// saas: SMTP only on port 587; port 25 gets its own reason.
struct SaaSPortRule: PolicyRule {
    let id = "saas-smtp-port"
    func applies(to mode: Mode) -> Bool { mode == .saas }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            guard server.port != 587 else { return nil }
            let message = server.port == 25
                ? "port 25 is not accepted in saas mode: the platform never relays unauthenticated mail on port 25"
                : "port \(server.port) is not accepted in saas mode, which sends only on port 587"
            return error(message, at: context.location("\(path).port"),
                         hint: "set \(path).port to 587 with starttls: required")
        }
    }
}

/// saas: every SMTP server authenticates.
struct SaaSAuthRule: PolicyRule {
    let id = "saas-smtp-auth"
    func applies(to mode: Mode) -> Bool { mode == .saas }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            // OAuth2 authenticates with a token (the schema requires its username and settings).
            guard server.auth != .oauth2 else { return nil }
            let missing = [server.username == nil ? "username" : nil, server.password == nil ? "password" : nil].compactMap { $0 }
            guard !missing.isEmpty else { return nil }
            return error("\(path) has no \(missing.joined(separator: " and ")); saas mode requires SMTP authentication",
                         at: context.location(path),
                         hint: "add " + missing.map { $0 == "password" ? "\(path).password: ${env:MAILFORM_...}" : "\(path).\($0)" }.joined(separator: " and "))
        }
    }
}

/// saas: TLS on every SMTP connection (STARTTLS required, or implicit TLS).
struct SaaSTLSRule: PolicyRule {
    let id = "saas-smtp-tls"
    func applies(to mode: Mode) -> Bool { mode == .saas }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.compactMap { path, server in
            guard !server.ssl, server.starttls != .required else { return nil }
            return error("starttls '\(server.starttls.rawValue)' can send in plain text; saas mode requires TLS",
                         at: context.location("\(path).starttls"),
                         hint: "set \(path).starttls: required (or ssl: true for implicit TLS)")
        }
    }
}

/// saas: only TLS 1.2 and newer.
struct SaaSProtocolsRule: PolicyRule {
    let id = "saas-tls-protocols"
    func applies(to mode: Mode) -> Bool { mode == .saas }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        context.company.smtpServers.flatMap { path, server in
            server.sslProtocols.enumerated().compactMap { index, version in
                guard version == "TLSv1" || version == "TLSv1.1" else { return nil }
                return error("\(version) is not accepted in saas mode, which requires TLS 1.2 or newer",
                             at: context.location("\(path).ssl_protocols[\(index)]"),
                             hint: "remove \(version) from \(path).ssl_protocols (keep TLSv1.2, TLSv1.3)")
            }
        }
    }
}

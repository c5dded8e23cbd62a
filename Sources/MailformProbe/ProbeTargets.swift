import MailformCore

/// Which endpoints to probe for a set of companies, and which companies are skipped.
public struct ProbeTargets: Sendable {
    public var smtp: [SMTPTarget] = []
    public var mailgun: [MailgunTarget] = []
    /// Companies with `probe: false`, and why.
    public var skipped: [(company: String, reason: String)] = []

    public init() {}

    public var isEmpty: Bool { smtp.isEmpty && mailgun.isEmpty }

    /// Every endpoint of the companies (`paths` limits a company to some endpoints:
    /// `smtp`, `mailgun`, `smtp_pools.NAME.servers[I]`).
    /// - Parameter location: where an endpoint path of a company is written.
    /// - Parameter trustedSMTP: whether a server's password may be sent to it (see `CredentialGate`, docs/security.md).
    /// - Parameter trustedMailgun: whether a Mailgun key may be sent for that domain.
    public static func build(_ companies: [Company<ResolvedSecret>], only paths: [String: Set<String>]? = nil,
                             location: (String, String) -> SourceLocation?,
                             trustedSMTP: (String, SMTPServer<ResolvedSecret>) -> Bool,
                             trustedMailgun: (String, MailgunSettings<ResolvedSecret>) -> Bool) -> ProbeTargets {
        var targets = ProbeTargets()
        for company in companies.sorted(by: { $0.id < $1.id }) {
            let wanted = paths?[company.id]
            if paths != nil && (wanted ?? []).isEmpty { continue }
            if let reason = company.probeDisabledReason {
                targets.skipped.append((company.id, reason))
                continue
            }
            let plain = company.map(\.secret)
            for ((path, server), (_, resolvedServer)) in zip(plain.smtpServers, company.smtpServers) where wanted?.contains(path) ?? true {
                var target = SMTPTarget(company: company.id, path: path, server: server, location: location(company.id, path + ".host"),
                                        sendCredentials: trustedSMTP(company.id, resolvedServer))
                target.sender = company.sender.email
                targets.smtp.append(target)
            }
            if ProviderSchemes.scheme(for: company.provider).endpoint == "mailgun", let mailgun = plain.mailgun,
               wanted?.contains("mailgun") ?? true {
                var target = MailgunTarget(company: company.id, domain: mailgun.domain, region: mailgun.region,
                                           apiKey: mailgun.apiKey, location: location(company.id, "mailgun.domain"))
                target.sender = company.sender.email
                target.sendCredentials = company.mailgun.map { trustedMailgun(company.id, $0) } ?? false
                targets.mailgun.append(target)
            }
        }
        return targets
    }

    /// The endpoints a change touches: `smtp.*` → `smtp`, `smtp_pools.P.servers[I].*`
    /// → that server, `mailgun.*` → `mailgun`; a changed provider probes its endpoint.
    public static func changedEndpoints(_ change: CompanyChange) -> Set<String> {
        var paths = Set<String>()
        for field in change.fields {
            let p = field.path
            if p.hasPrefix("smtp.") { paths.insert("smtp") }
            if p.hasPrefix("mailgun.") { paths.insert("mailgun") }
            if p.hasPrefix("smtp_pools."), let end = p.range(of: "].") { paths.insert(String(p[..<end.lowerBound]) + "]") }
            if p == "provider" { paths.formUnion(ProviderSchemes.endpoints) }
        }
        return paths
    }
}

import MailformCore

/// Which endpoints to probe for a set of companies, and which companies are skipped.
public struct ProbeTargets: Sendable {
    public var smtp: [SMTPTarget] = []
    /// The HTTP-API providers' sections (`mailgun:`) of companies that send through them.
    public var apis: [APITarget] = []
    /// Companies with `probe: false`, and why.
    public var skipped: [(company: String, reason: String)] = []

    public init() {}

    public var isEmpty: Bool { smtp.isEmpty && apis.isEmpty }

    /// Every endpoint of the companies (`paths` limits a company to some endpoints:
    /// `smtp`, `smtp_pools.NAME.servers[I]`, a provider's word such as `mailgun`).
    /// - Parameter location: where an endpoint path of a company is written.
    /// - Parameter trustedSMTP: whether a server's password may be sent to it (see `CredentialGate`, docs/security.md).
    /// - Parameter trustedAPI: whether a provider section's key may be sent to its API.
    public static func build(_ companies: [Company<ResolvedSecret>], only paths: [String: Set<String>]? = nil,
                             location: (String, String) -> SourceLocation?,
                             trustedSMTP: (String, SMTPServer<ResolvedSecret>) -> Bool,
                             trustedAPI: (String, APISettings<ResolvedSecret>) -> Bool,
                             sendsEverywhere: Bool = false) -> ProbeTargets {
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
            // The selected provider's section only (another's is ignored by the platform).
            if let api = ProviderSchemes.api(company.provider), let settings = company.api(company.provider),
               wanted?.contains(api.word) ?? true {
                var locations: [String: SourceLocation] = [:]
                // A failure of the API as a whole (unreachable, a 5xx, the
                // deadline) is about the provider, not one of its fields.
                locations[""] = location(company.id, "provider") ?? location(company.id, api.word + "." + api.fields[0].name)
                for field in api.fields { locations[field.name] = location(company.id, api.path(field)) }
                var target = APITarget(company: company.id, settings: settings, locations: locations)
                target.sender = company.sender.email
                target.sendCredentials = trustedAPI(company.id, settings)
                target.sendsEverywhere = sendsEverywhere
                targets.apis.append(target)
            }
        }
        return targets
    }

    /// The endpoints a change touches: `smtp.*` → `smtp`, `smtp_pools.P.servers[I].*`
    /// → that server, `WORD.*` → a provider's endpoint `WORD`; a changed provider probes its endpoint.
    public static func changedEndpoints(_ change: CompanyChange) -> Set<String> {
        var paths = Set<String>()
        for field in change.fields {
            let p = field.path
            if p.hasPrefix("smtp.") { paths.insert("smtp") }
            for api in ProviderSchemes.apis where p.hasPrefix(api.word + ".") { paths.insert(api.word) }
            if p.hasPrefix("smtp_pools."), let end = p.range(of: "].") { paths.insert(String(p[..<end.lowerBound]) + "]") }
            if p == "provider" { paths.formUnion(ProviderSchemes.endpoints) }
        }
        return paths
    }
}

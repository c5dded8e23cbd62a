/// The DSAR sender is the company's identity on the sender's domain.
struct DSARDomainRule: PolicyRule {
    let id = "dsar-sender-domain"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        guard let dsar = context.company.dsarSender, dsar.domain != context.company.sender.domain else { return [] }
        return [error("dsar_sender.email '\(dsar.email)' is not on the sender's domain '\(context.company.sender.domain)'",
                      at: context.location("dsar_sender.email"),
                      hint: "use an address @\(context.company.sender.domain) in dsar_sender.email")]
    }
}

/// Settings for a provider that is not selected are ignored by the platform.
struct UnusedProviderSettingsRule: PolicyRule {
    let id = "unused-provider-settings"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let provider = context.company.provider
        // Every other provider's section, as the providers describe them.
        for scheme in ProviderSchemes.all where scheme.provider != provider {
            guard let section = scheme.section, context.tree[section] != nil else { continue }
            out.append(warning("\(section) settings are ignored because provider is '\(provider.rawValue)'", at: context.location(section),
                               hint: "remove the \(section): section, or set provider: \(scheme.provider.rawValue)"))
        }
        return out
    }
}

/// Each kind of mail goes through at most one pool.
struct PoolPurposeRule: PolicyRule {
    let id = "pool-purpose-unique"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        var owner: [MailPurpose: String] = [:]
        var out: [Diagnostic] = []
        for pool in context.company.pools {
            for (index, purpose) in pool.useFor.enumerated() {
                if let first = owner[purpose] {
                    out.append(error("'\(purpose.rawValue)' is used by pools '\(first)' and '\(pool.name)'",
                                     at: context.location("smtp_pools.\(pool.name).use_for[\(index)]"),
                                     hint: "keep '\(purpose.rawValue)' in the use_for of one pool only"))
                } else {
                    owner[purpose] = pool.name
                }
            }
        }
        return out
    }
}

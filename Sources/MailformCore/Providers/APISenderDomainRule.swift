/// An HTTP-API provider signs for its sending domain; a sender elsewhere
/// fails DMARC alignment (`mailgun-sender-domain`, `sendgrid-sender-domain`).
struct APISenderDomainRule: PolicyRule {
    let provider: Provider
    let displayName: String
    var id: String { provider.rawValue + "-sender-domain" }

    func check(_ context: PolicyContext) -> [Diagnostic] {
        guard context.company.provider == provider, let settings = context.company.api(provider) else { return [] }
        let senderDomain = context.company.sender.domain
        let domain = settings.domain
        if senderDomain == domain || domain.hasSuffix("." + senderDomain) { return [] }
        return [warning("sender.email '\(context.company.sender.email)' is not on the \(displayName) domain '\(domain)' or its parent",
                        at: context.location("sender.email"),
                        hint: "send from an address @\(domain) or @\(domain.split(separator: ".").dropFirst().joined(separator: ".")), or change \(provider.rawValue).domain")]
    }
}

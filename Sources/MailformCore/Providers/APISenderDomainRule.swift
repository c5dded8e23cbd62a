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
        // A final dot is DNS's absolute form; the providers list domains
        // without it, so the probe would find none ('mc.example.test.').
        if domain.hasSuffix(".") {
            return [error("\(provider.rawValue).domain '\(domain)' ends with a dot; \(displayName) lists its domains without one",
                          at: context.location("\(provider.rawValue).domain"),
                          hint: "write \(provider.rawValue).domain: \(domain.dropLast())")]
        }
        // A parent of one label (a top-level domain) is never a sender's domain.
        if senderDomain == domain || (senderDomain.contains(".") && domain.hasSuffix("." + senderDomain)) { return [] }
        // Without the public suffix list, a parent cannot be named safely
        // (acme.co.uk's is co.uk): the hint names the domain, and the DNS
        // stage checks DMARC alignment against the organisational domain.
        return [warning("sender.email '\(context.company.sender.email)' is not on the \(displayName) domain '\(domain)' or a parent of it",
                        at: context.location("sender.email"),
                        hint: "send from an address @\(domain) (or @ a parent domain of it that you own), or change \(provider.rawValue).domain")]
    }
}

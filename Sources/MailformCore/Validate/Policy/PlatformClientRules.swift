/// Settings the platform's own mail client refuses whatever the server does
/// (`PlatformClient`): warned at validate time, before any probe, with the
/// client named in the hint. The probe then fails them for the same reason.
struct PlatformClientRules: PolicyRule {
    /// `platform-ip-identity` and `platform-untrusted-host` come from the
    /// model's refusals; `platform-protocol-gap` from its protocol set.
    let id: String

    static let all: [any PolicyRule] = [
        PlatformClientRules(id: "platform-ip-identity"),
        PlatformClientRules(id: "platform-untrusted-host"),
        PlatformClientRules(id: "platform-protocol-gap"),
    ]

    func check(_ context: PolicyContext) -> [Diagnostic] {
        let client = context.workspace.platformClient
        return context.company.smtpServers.compactMap { path, server in
            let s = server.settings
            // Only a session that uses TLS meets these checks.
            guard PlatformClient.usesTLS(s) else { return nil }
            if id == "platform-protocol-gap" {
                let gap = PlatformClient.protocolGap(s.sslProtocols)
                guard !gap.isEmpty else { return nil }
                return warning("\(path).ssl_protocols leaves out \(gap.joined(separator: ", ")): \(client.name) enables exactly the versions listed (a set, not a range), so a server that speaks only \(gap.last!) fails the platform's handshake",
                               at: context.location("\(path).ssl_protocols"),
                               hint: "list every version from the lowest to the highest you allow, e.g. [\(s.sslProtocols.sorted().first!) … \(s.sslProtocols.sorted().last!)] without gaps")
            }
            guard let refusal = client.refusals(s, path: path).first(where: { $0.id == id }) else { return nil }
            return warning(refusal.message, at: context.location("\(path).\(refusal.field)"), hint: refusal.hint)
        }
    }
}

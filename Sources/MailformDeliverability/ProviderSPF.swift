/// What the provider checks found about SPF, for DMARC to judge under the
/// domain's `aspf=` mode: only a provider's envelope domain (Mailgun's) can be aligned under
/// relaxed rules yet not under strict ones, so both answers are kept.
struct ProviderSPF: Sendable, Hashable {
    var relaxed: DMARCAuthentication
    var strict: DMARCAuthentication

    init(relaxed: DMARCAuthentication, strict: DMARCAuthentication) {
        self.relaxed = relaxed
        self.strict = strict
    }

    /// The same answer in both modes (the envelope domain is the sender's).
    init(_ both: DMARCAuthentication) {
        self.init(relaxed: both, strict: both)
    }

    func under(_ mode: DMARCAlignment) -> DMARCAuthentication {
        mode == .strict ? strict : relaxed
    }
}

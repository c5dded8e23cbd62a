/// `provider: smtp`: the company's own SMTP account (`smtp:`); its servers'
/// fields are `SMTPServerShape`, their sign-in `SMTPAuthScheme`.
public struct SMTPProvider: ProviderScheme {
    public init() {}
    public var provider: Provider { .smtp }
    public var section: String? { "smtp" }
    public var endpoint: String? { "smtp" }
    /// The rules of SMTP servers (the account's and the pools').
    public var rules: [any PolicyRule] {
        [SaaSPortRule(), SaaSAuthRule(), SaaSTLSRule(), SaaSProtocolsRule(), TLSExclusiveRule(), LegacyTLSRule(), TrustAllRule()]
            + PlatformClientRules.all
    }
}

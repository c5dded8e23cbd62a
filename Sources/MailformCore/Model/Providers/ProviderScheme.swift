/// A provider's part of mailform in one place: the section of a company file
/// it reads, the endpoint the probe checks for it, and its policy rules.
/// `Policy.rules`, the unused-settings warning and the probe's changed
/// endpoints derive from `ProviderSchemes.all`, so a provider is added here
/// and in its own file, not in each of them.
public protocol ProviderScheme: Sendable {
    var provider: Provider { get }
    /// The top-level section it reads (`smtp`, `mailgun`); nil when it has none.
    var section: String? { get }
    /// The probe's endpoint path for a company that uses it (`smtp`, `mailgun`).
    var endpoint: String? { get }
    var rules: [any PolicyRule] { get }
}

public enum ProviderSchemes {
    public static let all: [any ProviderScheme] = [SMTPProvider(), MailgunProvider(), PlatformProvider()]

    public static func scheme(for provider: Provider) -> any ProviderScheme {
        all.first { $0.provider == provider } ?? PlatformProvider()
    }

    /// Every provider's endpoint: what a change of `provider` makes the probe check.
    public static var endpoints: Set<String> { Set(all.compactMap(\.endpoint)) }
}

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

/// `provider: mailgun`: Mailgun's API with a domain and key (`mailgun:`).
public struct MailgunProvider: ProviderScheme {
    public init() {}
    public var provider: Provider { .mailgun }
    public var section: String? { "mailgun" }
    public var endpoint: String? { "mailgun" }
    public var rules: [any PolicyRule] { [MailgunSenderDomainRule()] }
}

/// `provider: platform`: the platform's own default sender; nothing to configure or probe.
public struct PlatformProvider: ProviderScheme {
    public init() {}
    public var provider: Provider { .platform }
    public var section: String? { nil }
    public var endpoint: String? { nil }
    public var rules: [any PolicyRule] { [] }
}

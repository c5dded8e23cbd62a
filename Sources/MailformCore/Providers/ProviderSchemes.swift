/// The providers mailform knows, registered in this one place. A company
/// file's `provider:` word, the schema's sections, the store's tables, the
/// probe's endpoints and the policy rules all come from this list.
public enum ProviderSchemes {
    public static let all: [any ProviderScheme] = [SMTPProvider(), MailgunProvider(), MailchimpProvider(), SendGridProvider(), PlatformProvider()]

    /// The HTTP-API providers, in registry order.
    public static let apis: [any APIProvider] = all.compactMap { $0 as? any APIProvider }

    /// Every provider's word.
    public static let words: Set<String> = Set(all.map(\.provider.rawValue))

    public static func scheme(for provider: Provider) -> any ProviderScheme {
        all.first { $0.provider == provider } ?? PlatformProvider()
    }

    /// The HTTP-API provider of this word; nil for SMTP, the platform and unknown words.
    public static func api(_ provider: Provider) -> (any APIProvider)? {
        apis.first { $0.provider == provider }
    }

    /// Every provider's endpoint: what a change of `provider` makes the probe check.
    public static var endpoints: Set<String> { Set(all.compactMap(\.endpoint)) }
}

/// Mailgun's two API regions.
public enum MailgunRegion: String, Sendable, Codable {
    case us, eu
}

/// A company's Mailgun section, typed: a view of its `APISettings`.
public struct MailgunSettings<SecretValue: Sendable>: Sendable {
    public var domain: String
    public var apiKey: SecretValue
    public var region: MailgunRegion

    public init(domain: String, apiKey: SecretValue, region: MailgunRegion) {
        self.domain = domain
        self.apiKey = apiKey
        self.region = region
    }

    /// The view of generic settings (nil for another provider's).
    public init?(_ settings: APISettings<SecretValue>) {
        guard settings.provider == .mailgun, let key = settings.secret("api_key") else { return nil }
        self.init(domain: settings.domain, apiKey: key, region: MailgunRegion(rawValue: settings.value("region") ?? "us") ?? .us)
    }

    /// As generic settings, in `MailgunProvider.fields` order.
    public var settings: APISettings<SecretValue> {
        APISettings(provider: .mailgun, values: [domain, region.rawValue], secrets: [apiKey])
    }

    /// - Throws: what `transform` throws.
    public func map<T>(_ transform: (SecretValue) throws -> T) rethrows -> MailgunSettings<T> {
        MailgunSettings<T>(domain: domain, apiKey: try transform(apiKey), region: region)
    }
}

extension Company {
    /// The Mailgun section, typed (nil without one).
    public var mailgun: MailgunSettings<SecretValue>? {
        get { api(.mailgun).flatMap(MailgunSettings.init) }
        set { setAPI(.mailgun, newValue?.settings) }
    }

    public static var mailgunKeyPath: String { "mailgun.api_key" }
}

/// A company's section for one HTTP-API provider (`mailgun:`, `sendgrid:`):
/// its plain fields and its secrets, in the order the provider declares
/// them (`APIProvider.plainFields`, `.secretFields`). Defaults are filled
/// in when read, so a file and the store compare alike.
public struct APISettings<SecretValue: Sendable>: Sendable {
    public let provider: Provider
    /// The plain fields' values, in `plainFields` order (nil: not set).
    public var values: [String?]
    /// The secrets, in `secretFields` order.
    public var secrets: [SecretValue]

    public init(provider: Provider, values: [String?], secrets: [SecretValue]) {
        self.provider = provider
        self.values = values
        self.secrets = secrets
    }

    /// The provider that declares this section.
    public var scheme: any APIProvider { ProviderSchemes.api(provider)! }

    /// The section's key in a company file (`mailgun`).
    public var section: String { provider.rawValue }

    /// A plain field's value by name.
    public func value(_ name: String) -> String? {
        guard let i = scheme.plainFields.firstIndex(where: { $0.name == name }) else { return nil }
        return values[i]
    }

    public mutating func set(_ name: String, _ value: String?) {
        guard let i = scheme.plainFields.firstIndex(where: { $0.name == name }) else { return }
        values[i] = value
    }

    /// A secret by field name.
    public func secret(_ name: String) -> SecretValue? {
        guard let i = scheme.secretFields.firstIndex(where: { $0.name == name }) else { return nil }
        return secrets[i]
    }

    /// The sending domain (every API provider's `domain`).
    public var domain: String { value("domain") ?? "" }

    /// The path of a secret in plans and the store (`mailgun.api_key`).
    public func secretPath(_ index: Int) -> String { section + "." + scheme.secretFields[index].name }

    /// - Throws: what `transform` throws.
    public func map<T>(_ transform: (SecretValue) throws -> T) rethrows -> APISettings<T> {
        APISettings<T>(provider: provider, values: values, secrets: try secrets.map(transform))
    }

    /// Like `map`, with each secret's path.
    /// - Throws: what `transform` throws.
    public func mapSecrets<T>(_ transform: (String, SecretValue) throws -> T) rethrows -> APISettings<T> {
        APISettings<T>(provider: provider, values: values,
                       secrets: try secrets.enumerated().map { i, s in try transform(secretPath(i), s) })
    }
}

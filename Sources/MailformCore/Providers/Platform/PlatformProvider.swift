/// `provider: platform`: the platform's own default sender; nothing to configure or probe.
public struct PlatformProvider: ProviderScheme {
    public init() {}
    public var provider: Provider { .platform }
    public var section: String? { nil }
    public var endpoint: String? { nil }
    public var rules: [any PolicyRule] { [] }
}

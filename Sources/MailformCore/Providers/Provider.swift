/// How a company sends (`provider:` in its file): a word the registered
/// providers define (`ProviderSchemes.all`), not a closed enumeration, so a
/// provider is added in its own folder.
public struct Provider: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// A registered provider's word; nil for any other.
    public init?(rawValue: String) {
        guard ProviderSchemes.words.contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// A provider's own word (its scheme declares it).
    init(word: String) { rawValue = word }

    /// - Throws: `DecodingError` for a word no registered provider has.
    public init(from decoder: Decoder) throws {
        let word = try decoder.singleValueContainer().decode(String.self)
        guard let provider = Provider(rawValue: word) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown provider '\(word)'"))
        }
        self = provider
    }

    /// - Throws: `EncodingError` from the encoder.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let smtp = Provider(word: "smtp")
    public static let platform = Provider(word: "platform")
}

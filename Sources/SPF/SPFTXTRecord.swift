/// One TXT record: the character-strings it is made of, in order.
///
/// A TXT record carries one or more strings of at most 255 bytes each; SPF
/// glues them together with no separator (RFC 7208 section 3.3), so
/// `["v=spf1 ip4:", "192.0.2.5 -all"]` is the record `v=spf1 ip4:192.0.2.5 -all`.
/// A record with no strings at all is malformed but must not crash anything.
public struct SPFTXTRecord: Sendable, Hashable {
    public var strings: [String]

    public init(strings: [String]) {
        self.strings = strings
    }

    public init(_ text: String) {
        self.strings = [text]
    }

    /// The strings joined with nothing between them.
    public var text: String { strings.joined() }
}

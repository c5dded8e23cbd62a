/// One MX record as published: preference and exchange host name (without
/// the trailing dot). An exchange of `""` is a null MX (RFC 7505: the domain
/// accepts no mail).
public struct DNSMXRecord: Sendable, Hashable, CustomStringConvertible {
    public var preference: UInt16
    public var exchange: String

    public init(preference: UInt16, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }

    public var description: String { "\(preference) \(exchange)" }
}

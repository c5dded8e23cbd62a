/// One MX record: SPF only needs the exchange name, but the preference is kept
/// so a report can show the records as published.
public struct SPFMXRecord: Sendable, Hashable {
    public var preference: UInt16
    /// The mail exchanger's host name, with or without a trailing dot. An empty
    /// name or `.` is a "null MX" (RFC 7505) and is skipped by the `mx` mechanism.
    public var exchange: String

    public init(preference: UInt16, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}

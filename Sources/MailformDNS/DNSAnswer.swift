/// The outcome of one DNS query, with its records typed by the caller's need.
///
/// The four outcomes are the ones mail checks treat differently: records,
/// NXDOMAIN (the name does not exist — "no DMARC record" or "selector
/// missing"), NODATA (the name exists but has no records of that type — no
/// MX), and a failure, which must surface as such rather than be read as
/// "no record". `Value` is the whole payload (`[String]` for TXT, `[IPAddress]`
/// for A), so an empty answer is always `noData`, never `records([])`.
public enum DNSAnswer<Value: Sendable>: Sendable {
    case records(Value)
    /// RCODE 3: the name does not exist.
    case nxdomain
    /// RCODE 0 without an answer of the asked type (possibly after a CNAME).
    case noData
    case failure(DNSFailure)

    /// The same outcome with the records transformed.
    public func map<Other: Sendable>(_ transform: (Value) -> Other) -> DNSAnswer<Other> {
        switch self {
        case .records(let value): return .records(transform(value))
        case .nxdomain: return .nxdomain
        case .noData: return .noData
        case .failure(let failure): return .failure(failure)
        }
    }

    /// The records, or nil for every other outcome.
    public var records: Value? {
        if case .records(let value) = self { return value }
        return nil
    }
}

extension DNSAnswer: Equatable where Value: Equatable {}
extension DNSAnswer: Hashable where Value: Hashable {}

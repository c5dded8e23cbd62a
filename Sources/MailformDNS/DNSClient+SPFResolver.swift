import SPF

/// Lets `SPFEvaluator` and `SPFAnalyser` run on the network.
///
/// SPF wants a narrower view than mail checks in general: REFUSED and every
/// other failure that is not a timeout count as a server failure (both make
/// a check `temperror`, RFC 7208 section 2.6.6), and an empty answer is
/// `noData`.
///
/// These overload the client's own `txt`, `a`, ... by return type only;
/// `@_disfavoredOverload` makes a plain `await dns.txt(name)` pick the
/// client's `DNSAnswer` form, while SPF (through the protocol) gets these.
extension DNSClient: SPFResolver {
    @_disfavoredOverload
    public func txt(_ name: String) async -> SPFDNSAnswer<SPFTXTRecord> {
        Self.spf(await txtRecords(name)) { $0.map { SPFTXTRecord(strings: $0) } }
    }

    @_disfavoredOverload
    public func a(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        Self.spf(await a(name)) { $0 }
    }

    @_disfavoredOverload
    public func aaaa(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        Self.spf(await aaaa(name)) { $0 }
    }

    @_disfavoredOverload
    public func mx(_ name: String) async -> SPFDNSAnswer<SPFMXRecord> {
        Self.spf(await mx(name)) { $0.map { SPFMXRecord(preference: $0.preference, exchange: $0.exchange) } }
    }

    @_disfavoredOverload
    public func ptr(_ name: String) async -> SPFDNSAnswer<String> {
        Self.spf(await ptr(name)) { $0 }
    }

    private static func spf<Value, Record>(_ answer: DNSAnswer<Value>, _ records: (Value) -> [Record]) -> SPFDNSAnswer<Record> {
        switch answer {
        case .records(let value):
            let list = records(value)
            return list.isEmpty ? .noData : .records(list)
        case .nxdomain: return .nxdomain
        case .noData: return .noData
        case .failure(.timeout): return .failure(.timeout)
        case .failure: return .failure(.servfail)
        }
    }
}

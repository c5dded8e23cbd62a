/// The outcome of one DNS query, as SPF needs to tell outcomes apart.
///
/// RFC 7208 treats three outcomes differently: records (which may match),
/// "void" answers — `nxdomain` (RCODE 3) or `noData` (RCODE 0 with no answer of
/// the asked type) — which count against the limit of two void lookups, and
/// failures (SERVFAIL, timeouts, any other RCODE), which make the check a
/// `temperror`. `records([])` is read as `noData`.
public enum SPFDNSAnswer<Record: Sendable>: Sendable {
    case records([Record])
    case nxdomain
    case noData
    case failure(SPFDNSFailure)

    /// The records, or an empty list for a void answer or a failure.
    public var recordsOrEmpty: [Record] {
        if case .records(let records) = self { return records }
        return []
    }
}

extension SPFDNSAnswer: Equatable where Record: Equatable {}

/// Why a DNS query produced no answer at all; either makes SPF a `temperror`.
public enum SPFDNSFailure: Sendable, Hashable {
    /// No answer within the resolver's time limit.
    case timeout
    /// SERVFAIL, REFUSED, a CNAME loop, or any other RCODE but 0 and 3.
    case servfail
}

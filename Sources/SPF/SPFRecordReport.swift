/// What `SPFEvaluator.analyse(domain:)` found: a domain's record, the records
/// it includes or redirects to, the DNS lookups they add up to, and problems.
///
/// It is built without a client address, so it answers questions about the
/// record itself — "does it parse", "does it stay within 10 lookups" — not
/// whether some host may send.
public struct SPFRecordReport: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// The record (and everything it includes) parses and stays within limits.
        case valid
        /// The domain publishes no SPF record: checks give `none`.
        case none
        /// Some problem has severity `error`: checks will give `permerror`.
        case permerror
        /// A DNS failure stopped the analysis; try again later.
        case temperror
    }

    public var domain: String
    /// The term that led here from the parent record (`include:_spf.example.com`,
    /// `redirect=example.net`); nil for the domain analysed.
    public var term: String?
    /// The record as published, if exactly one was found.
    public var record: String?
    public var status: Status
    /// DNS-querying terms (include, a, mx, ptr, exists, redirect) in this record
    /// and everything below it, counting only terms evaluation can reach.
    public var lookupCount: Int
    /// Lookups in this record and below that find nothing for any client (no
    /// such name, or no A and no AAAA records, or no MX records).
    public var voidLookupCount: Int
    public var lookupLimit: Int
    public var voidLookupLimit: Int
    /// Problems in this record and below, in evaluation order.
    public var problems: [SPFProblem]
    /// Reports of the included and redirected-to records, in evaluation order.
    public var children: [SPFRecordReport]

    public init(domain: String, term: String? = nil, record: String? = nil, status: Status, lookupCount: Int = 0,
                voidLookupCount: Int = 0, lookupLimit: Int = 10, voidLookupLimit: Int = 2,
                problems: [SPFProblem] = [], children: [SPFRecordReport] = []) {
        self.domain = domain
        self.term = term
        self.record = record
        self.status = status
        self.lookupCount = lookupCount
        self.voidLookupCount = voidLookupCount
        self.lookupLimit = lookupLimit
        self.voidLookupLimit = voidLookupLimit
        self.problems = problems
        self.children = children
    }

    /// Whether the lookup count is over RFC 7208's limit of 10.
    public var exceedsLookupLimit: Bool { lookupCount > lookupLimit }

    public var errors: [SPFProblem] { problems.filter { $0.severity == .error } }
    public var warnings: [SPFProblem] { problems.filter { $0.severity == .warning } }
}

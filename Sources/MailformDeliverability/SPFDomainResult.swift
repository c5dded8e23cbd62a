import SPF

/// The SPF analysis of one domain plus the TXT lookups that stopped it, so a
/// `temperror` becomes `dns-timeout`/`dns-servfail` naming the query.
struct SPFDomainResult: Sendable, Hashable {
    var report: SPFRecordReport
    /// TXT lookups that failed, the domain's own or an included record's.
    var failures: [DNSProblem]
}

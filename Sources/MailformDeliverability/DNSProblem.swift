import SPF

/// A query that got no answer, kept with its name and type so the finding
/// can say which lookup failed (issue 13: a DNS failure is a classified
/// result naming the query, never a silent pass).
struct DNSProblem: Sendable, Hashable {
    var name: String
    /// `TXT`, `A`, `AAAA`, `MX`.
    var type: String
    var failure: SPFDNSFailure

    /// `txt lookup for _dmarc.acme.com timed out`.
    var message: String {
        "\(type.lowercased()) lookup for \(name) " + (failure == .timeout
            ? "timed out"
            : "failed with a server failure (servfail, refused or a broken answer)")
    }

    /// `dns-timeout` or `dns-servfail`.
    var findingID: String {
        failure == .timeout ? "dns-timeout" : "dns-servfail"
    }
}

import SPF

/// Issue 13 section 3: the DNS checks behind `mailform check --deliverability`
/// — SPF, DMARC, DKIM and MX of every company's sending domains, judged
/// against how the company sends.
///
/// Every outcome is a finding, DNS failures included (`dns-timeout`,
/// `dns-servfail`): a check that could not run never passes silently.
public struct DeliverabilityChecker: Sendable {
    private let resolver: any SPFResolver
    private let policyFetcher: (any MTASTSPolicyFetching)?
    private let certWarningDays: Int

    /// `resolver` is normally one `DNSClient` for the run; the checker adds
    /// its own per-run cache on top, so any resolver is asked each question once.
    /// - Parameters:
    ///   - policyFetcher: fetches MTA-STS policies (nil: records are checked, policies not fetched).
    ///   - certWarningDays: warn when the MTA-STS host's certificate expires within this many days (0: never).
    public init(resolver: any SPFResolver, policyFetcher: (any MTASTSPolicyFetching)? = nil, certWarningDays: Int = 21) {
        self.resolver = resolver
        self.policyFetcher = policyFetcher
        self.certWarningDays = certWarningDays
    }

    /// Checks every input; each domain's DNS records are looked up once per run (inputs sharing a domain share the lookups); findings sorted by company, domain, id.
    ///
    /// Inputs are checked concurrently, and each input's lookups start
    /// together, so a run takes about as long as its slowest lookup chain
    /// rather than the sum of all timeouts.
    public func check(_ inputs: [DeliverabilityInput]) async -> [DeliverabilityFinding] {
        let lookups = DeliverabilityLookups(resolver: resolver, policyFetcher: policyFetcher, certWarningDays: certWarningDays)
        let all = await withTaskGroup(of: [DeliverabilityFinding].self) { group in
            for input in inputs {
                group.addTask { await CompanyCheck(input, lookups: lookups).run() }
            }
            var all: [DeliverabilityFinding] = []
            for await findings in group { all += findings }
            return all
        }
        // Inputs that repeat a company and domain would repeat its findings.
        var seen = Set<DeliverabilityFinding>()
        return all.filter { seen.insert($0).inserted }.sorted(by: Self.order)
    }

    /// Company, domain, id; then field and message so the order is stable
    /// for findings sharing an id (several invalid records of a provider).
    private static func order(_ a: DeliverabilityFinding, _ b: DeliverabilityFinding) -> Bool {
        (a.company, a.domain, a.id, a.field, a.message, a.record ?? "") < (b.company, b.domain, b.id, b.field, b.message, b.record ?? "")
    }
}

import Foundation
import SPF

/// Every lookup one run makes, each done once and shared by all companies
/// (the per-run half of `DeliverabilityChecker`).
///
/// Results are memoised per domain on top of the caching resolver: DNS is
/// then asked once per name, and the SPF analysis, DMARC discovery and DKIM
/// judgement of a shared domain are computed once too, so two companies on
/// one domain can never get different answers within a run.
final class DeliverabilityLookups: Sendable {
    let resolver: CachingResolver
    private let spfResults = AsyncMemo<String, SPFDomainResult>()
    private let dmarcWalks = AsyncMemo<String, DMARCWalk>()
    private let dkimResults = AsyncMemo<String, DKIMLookup>()
    private let mxResults = AsyncMemo<String, MXLookup>()
    private let relayResults = AsyncMemo<String, RelayAddresses>()
    private let hostChecks = AsyncMemo<String, SPFResult>()
    private let mtaSTSResults = AsyncMemo<String, MTASTSLookup>()
    private let tlsRPTResults = AsyncMemo<String, TLSRPTLookup>()
    /// Fetches MTA-STS policies; nil: policies are not fetched.
    let policyFetcher: (any MTASTSPolicyFetching)?

    /// Warn when the MTA-STS host's certificate expires within this many days (0: never).
    let certWarningDays: Int
    /// The run's "now", for certificate expiry.
    let now: Date

    init(resolver: any SPFResolver, policyFetcher: (any MTASTSPolicyFetching)? = nil, certWarningDays: Int = 21, now: Date = Date()) {
        self.resolver = CachingResolver(resolver)
        self.policyFetcher = policyFetcher
        self.certWarningDays = certWarningDays
        self.now = now
    }

    // MARK: MTA-STS and TLS-RPT

    /// The MTA-STS record of `domain` and, when it is valid, its policy
    /// (RFC 8461 sections 3.1 to 3.3). The policy host is resolved by the
    /// run's resolver and fetched at those addresses only.
    func mtaSTS(_ domain: String) async -> MTASTSLookup {
        await mtaSTSResults.value(for: domain) { [resolver, policyFetcher] in
            let query = "_mta-sts." + domain
            let records: [String]
            switch await resolver.txt(query) {
            case .failure(let failure): return .failure(DNSProblem(name: query, type: "TXT", failure: failure))
            case .nxdomain, .noData: return .missing
            case .records(let found): records = found.map(\.text).filter(MTASTSRecord.isCandidate)
            }
            // Section 3.1: records not beginning "v=STSv1;" are discarded
            // before counting; one that nearly does is reported, not dropped silently.
            let kept = records.filter(MTASTSRecord.isKept)
            guard let text = kept.first ?? records.first else { return .missing }
            guard kept.count <= 1 else {
                return .invalidRecord(text: text, why: "\(kept.count) records begin with v=STSv1;, and senders use none when there is more than one")
            }
            let record: MTASTSRecord
            switch MTASTSRecord.parse(text) {
            case .failure(let problem): return .invalidRecord(text: text, why: problem.why)
            case .success(let parsed): record = parsed
            }
            guard let policyFetcher else { return .published(record: record, policy: .notFetched) }
            let host = "mta-sts." + domain
            var addresses: [IPAddress] = []
            var problem: DNSProblem?
            for (type, answer) in [("A", await resolver.a(host)), ("AAAA", await resolver.aaaa(host))] {
                switch answer {
                case .records(let found): addresses += found
                case .failure(let failure): problem = problem ?? DNSProblem(name: host, type: type, failure: failure)
                case .nxdomain, .noData: continue
                }
            }
            guard !addresses.isEmpty else { return .published(record: record, policy: .hostUnresolved(problem)) }
            let fetch = await policyFetcher.fetchPolicy(host: host, addresses: Array(addresses.prefix(4)))
            let expiry = fetch.certificateExpiry
            switch fetch.outcome {
            case .failed(let why): return .published(record: record, policy: .unavailable(why, certificateExpiry: expiry))
            case .notChecked(let why): return .published(record: record, policy: .notChecked(why))
            case .tooLarge:
                return .published(record: record, policy: .invalid("the policy is larger than \(MTASTSPolicy.maxBytes / 1024) KiB", certificateExpiry: expiry))
            case .answered(let status, let contentType, let body):
                guard status == 200 else {
                    let why = (300...399).contains(status)
                        ? "it answered HTTP \(status), a redirect, and senders follow none (RFC 8461 section 3.3)"
                        : "it answered HTTP \(status), not 200"
                    return .published(record: record, policy: .unavailable(why, certificateExpiry: expiry))
                }
                let media = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard media == "text/plain" else {
                    return .published(record: record, policy: .invalid("it is served as \(SafeLine.excerpt(contentType ?? "no Content-Type")), not text/plain (RFC 8461 section 3.2)", certificateExpiry: expiry))
                }
                switch MTASTSPolicy.parse(body) {
                case .failure(let problem): return .published(record: record, policy: .invalid(problem.why, certificateExpiry: expiry))
                case .success(let policy): return .published(record: record, policy: .found(policy, certificateExpiry: expiry))
                }
            }
        }
    }

    /// The TLS-RPT record of `domain` (RFC 8460 section 3).
    func tlsRPT(_ domain: String) async -> TLSRPTLookup {
        await tlsRPTResults.value(for: domain) { [resolver] in
            let query = "_smtp._tls." + domain
            switch await resolver.txt(query) {
            case .failure(let failure): return .failure(DNSProblem(name: query, type: "TXT", failure: failure))
            case .nxdomain, .noData: return .missing
            case .records(let found):
                let records = found.map(\.text).filter(TLSRPTRecord.isCandidate)
                let kept = records.filter(TLSRPTRecord.isKept)
                guard let text = kept.first ?? records.first else { return .missing }
                guard kept.count <= 1 else {
                    return .invalid(text: text, why: "\(kept.count) records begin with v=TLSRPTv1;, and senders use none when there is more than one")
                }
                switch TLSRPTRecord.parse(text) {
                case .failure(let problem): return .invalid(text: text, why: problem.why)
                case .success(let record): return .found(record)
                }
            }
        }
    }

    // MARK: SPF

    /// The analysis of `domain`'s SPF record and everything it includes.
    func spf(_ domain: String) async -> SPFDomainResult {
        await spfResults.value(for: domain) { [resolver] in
            let report = await SPFEvaluator(resolver: resolver).analyse(domain: domain)
            var failures: [DNSProblem] = []
            // A temperror node without temperror children is one whose own TXT
            // lookup failed; the answer is cached, so asking again is free.
            var pending = [report]
            while let node = pending.popLast() {
                guard node.status == .temperror else { continue }
                let failedChildren = node.children.filter { $0.status == .temperror }
                if failedChildren.isEmpty, case .failure(let failure) = await resolver.txt(node.domain) {
                    failures.append(DNSProblem(name: node.domain, type: "TXT", failure: failure))
                }
                pending += failedChildren
            }
            return SPFDomainResult(report: report, failures: failures)
        }
    }

    /// `check_host()` for a relay address: may `ip` send for `domain`?
    func checkHost(ip: IPAddress, domain: String, helo: String) async -> SPFResult {
        await hostChecks.value(for: "\(ip) \(domain) \(helo)") { [resolver] in
            await SPFEvaluator(resolver: resolver).checkHost(ip: ip, domain: domain, sender: "postmaster@" + domain, helo: helo)
        }
    }

    /// The addresses of an SMTP relay (A and AAAA, asked together).
    func relay(_ host: String) async -> RelayAddresses {
        await relayResults.value(for: host) { [resolver] in
            let literal = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            if let address = IPAddress(literal) {
                return RelayAddresses(host: host, addresses: [address], failures: [], nonexistent: false)
            }
            async let v4 = resolver.a(host)
            async let v6 = resolver.aaaa(host)
            var addresses: [IPAddress] = []
            var failures: [DNSProblem] = []
            var nonexistent = true
            for (answer, type) in [(await v4, "A"), (await v6, "AAAA")] {
                switch answer {
                case .records(let records): addresses += records; nonexistent = false
                case .noData: nonexistent = false
                case .nxdomain: break
                case .failure(let failure):
                    failures.append(DNSProblem(name: host, type: type, failure: failure))
                    nonexistent = false
                }
            }
            return RelayAddresses(host: host, addresses: addresses, failures: failures, nonexistent: nonexistent)
        }
    }

    // MARK: DMARC

    /// The DNS Tree Walk of RFC 9989 (section "DNS Tree Walk") from `domain`:
    /// `_dmarc.<domain>`, then each parent name (a name of more than 8
    /// labels skips to its 7-label parent), at most 8 names. At each name,
    /// records that are not `v=DMARC1` are dropped, and several records are
    /// all discarded (the walk goes on); a single record with `psd=n` or
    /// `psd=y` ends it. A failed lookup ends it too: going on would give the
    /// wrong answer. Policy discovery and the organisational domain are both
    /// read from this one walk, so they always agree.
    func dmarcWalk(_ domain: String) async -> DMARCWalk {
        await dmarcWalks.value(for: domain) { [resolver] in
            var walk = DMARCWalk(domain: domain)
            for name in Self.walk(domain) {
                let query = "_dmarc." + name
                walk.asked.append(query)
                switch await resolver.txt(query) {
                case .failure(let failure):
                    walk.failure = DNSProblem(name: query, type: "TXT", failure: failure)
                    return walk
                case .nxdomain, .noData:
                    continue
                case .records(let records):
                    let found = records.map(\.text).filter(DMARCRecord.isDMARCRecord)
                    walk.ignored += records.map(\.text).filter(DMARCRecord.isIgnoredVersion).prefix(3).map { (name, $0) }
                    if found.count > 1 {
                        walk.discarded.append((name, found.count))
                        continue
                    }
                    guard let text = found.first else { continue }
                    let record = DMARCRecord(parsing: text)
                    walk.records.append((name, record))
                    if record.psd == "n" || record.psd == "y" { return walk }
                }
            }
            return walk
        }
    }

    /// The DMARC policy record that applies to mail from `domain` (RFC 9989,
    /// "DMARC Policy Discovery"): the domain's own, else its organisational
    /// domain's, else its public suffix domain's (the `psd=y` record that
    /// named the organisational domain).
    func dmarc(_ domain: String) async -> DMARCLookup {
        let walk = await dmarcWalk(domain)
        if let failure = walk.failure { return .failure(failure) }
        if let own = walk.records.first, own.name == domain { return .found(own.record, at: domain, discarded: walk.discarded) }
        let (organizational, suffix) = walk.organizationalDomain()
        if let record = walk.records.first(where: { $0.name == organizational }) {
            return .found(record.record, at: organizational, discarded: walk.discarded)
        }
        if let suffix, let record = walk.records.first(where: { $0.name == suffix }) {
            return .found(record.record, at: suffix, discarded: walk.discarded)
        }
        if let first = walk.discarded.first { return .several(count: first.count, at: first.name) }
        return .missing(asked: walk.asked, ignored: walk.ignored)
    }

    /// The organisational domain of `domain` (RFC 9989, "Identifier
    /// Alignment Evaluation"), from the same walk as policy discovery. A
    /// failed lookup makes it `domain` (nothing is taken as aligned on an
    /// unknown; the DNS stage reports the failure).
    func organizationalDomain(_ domain: String) async -> String {
        let walk = await dmarcWalk(domain)
        if walk.failure != nil { return domain }
        return walk.organizationalDomain().domain
    }

    /// The ancestor of `domain` (or `domain`) with one label more than `name`.
    static func oneLabelBelow(_ name: String, toward domain: String) -> String {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let count = name.split(separator: ".", omittingEmptySubsequences: false).count + 1
        return count >= labels.count ? domain : labels.suffix(count).joined(separator: ".")
    }

    /// The names policy discovery asks, in order (at most 8).
    static func walk(_ domain: String) -> [String] {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count > 1 else { return [domain] }
        let start = labels.count <= 8 ? 1 : labels.count - 7
        return [domain] + (start..<labels.count).map { labels[$0...].joined(separator: ".") }
    }

    // MARK: DKIM

    /// The key published for `selector` at `domain`, judged as a verifier would.
    func dkim(selector: String, domain: String) async -> DKIMLookup {
        let name = "\(selector)._domainkey.\(domain)"
        return await dkimResults.value(for: name) { [resolver] in
            switch await resolver.txt(name) {
            case .failure(let failure): return .failure(DNSProblem(name: name, type: "TXT", failure: failure))
            case .nxdomain: return .missing(nonexistent: true)
            case .noData: return .missing(nonexistent: false)
            case .records(let records):
                let texts = records.map(\.text)
                let candidate = texts.first { DKIMKeyRecord.looksLikeKeyRecord($0) } ?? texts.first
                guard let text = candidate else { return .missing(nonexistent: false) }
                do throws(DKIMKeyError) {
                    return .key(try DKIMKeyRecord.key(in: text), record: text)
                } catch {
                    return .noKey(reason: error.message, record: text)
                }
            }
        }
    }

    // MARK: MX

    /// The mail exchangers of `domain`; a null MX (RFC 7505) counts as none.
    func mx(_ domain: String) async -> MXLookup {
        await mxResults.value(for: domain) { [resolver] in
            switch await resolver.mx(domain) {
            case .failure(let failure): return .failure(DNSProblem(name: domain, type: "MX", failure: failure))
            case .nxdomain: return .missing(nonexistent: true, nullMX: false)
            case .noData:
                // RFC 5321 section 5.1: without MX records, the address records are the exchanger.
                switch (await resolver.a(domain), await resolver.aaaa(domain)) {
                case (.records(let a), _) where !a.isEmpty: return .implicit
                case (_, .records(let aaaa)) where !aaaa.isEmpty: return .implicit
                // An address lookup that failed says nothing: not "no address"
                // (np= would then apply to a domain that may exist).
                case (.failure(let failure), _): return .failure(DNSProblem(name: domain, type: "A", failure: failure))
                case (_, .failure(let failure)): return .failure(DNSProblem(name: domain, type: "AAAA", failure: failure))
                default: return .missing(nonexistent: false, nullMX: false)
                }
            case .records(let records):
                let real = records.filter { $0.exchange != "" && $0.exchange != "." }
                if real.isEmpty { return .missing(nonexistent: false, nullMX: true) }
                let withNullMX = real.count < records.count
                // The most preferred exchanges, at most 10 (a hostile zone may
                // list thousands): when every one of them cannot take mail,
                // a sender gives up before reaching any later one.
                var unusable: [MXLookup.Unusable] = []
                let checked = real.sorted(by: { $0.preference < $1.preference }).prefix(10)
                for record in checked {
                    let host = record.exchange.hasSuffix(".") ? String(record.exchange.dropLast()) : record.exchange
                    let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
                    if IPAddress(bare) != nil {
                        unusable.append(.init(exchange: host, why: "an address, not a host name (RFC 5321 section 5.1)"))
                        continue
                    }
                    // Only a name known to have no address counts: an answer
                    // with records, or a lookup that fails, says it may take mail.
                    let (a, aaaa) = (await resolver.a(host), await resolver.aaaa(host))
                    switch (a, aaaa) {
                    case (.nxdomain, .nxdomain):
                        unusable.append(.init(exchange: host, why: "a name that does not exist"))
                    case (.noData, .noData), (.nxdomain, .noData), (.noData, .nxdomain):
                        unusable.append(.init(exchange: host, why: "a name with no A or AAAA record"))
                    default:
                        return .records(real, withNullMX: withNullMX)
                    }
                }
                return .unusable(unusable)
            }
        }
    }
}

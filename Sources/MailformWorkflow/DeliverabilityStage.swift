import Foundation
import MailformCore
import MailformDNS
import MailformDeliverability
import MailformProbe
import SPF

/// The DNS stage's flags.
public struct DNSSettings: Sendable {
    /// False with `--no-dns`, or `MAILFORM_DNS=off` (the test suite's
    /// setting, so that no query leaves the machine unless a test starts its
    /// own DNS server).
    public var enabled: Bool
    public var servers: [String]

    public init(enabled: Bool, servers: [String] = []) {
        self.enabled = enabled
        self.servers = servers
    }

    public static func from(noDNS: Bool, servers: [String], environment: [String: String]) -> DNSSettings {
        DNSSettings(enabled: !noDNS && !["off", "0", "false", "no"].contains(environment["MAILFORM_DNS"]?.lowercased() ?? ""), servers: servers)
    }
}

/// The DNS stage: from companies (and what the providers' probes learnt) to
/// deliverability findings (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT).
public enum DeliverabilityStage {
    public struct Outcome: Sendable {
        public var findings: [DeliverabilityFinding]
        /// The companies whose domains were checked (0: none was, so "no
        /// findings" would say nothing).
        public var checkedCompanies = 0
        public var hasErrors: Bool { findings.contains { $0.severity == .error } }
        public var failedCompanies: Set<String> { Set(findings.filter { $0.severity == .error }.map(\.company)) }
    }

    /// The companies of a plan whose sending changes (added, or a field of
    /// `CompanyShape.sendingPaths` changed: not a display name or a logo).
    public static func sendingChanged(_ plan: Plan) -> [String] {
        plan.changes.filter { change in
            change.action != .delete && change.fields.contains { CompanyShape.sendingPaths.contains($0.path) }
        }.map(\.id)
    }

    /// Runs the stage when enabled, with the providers' records the probe read.
    /// - Parameter options: the probe's: its concurrency and deadline, and
    ///   the trust and time limits MTA-STS policies are fetched with.
    /// - Throws: `WorkflowError.stopped` when the resolver cannot be set up (a bad `--dns-server`).
    public static func outcome(_ companies: [Company<ResolvedSecret>], results: [ProbeResult], workspace: Workspace,
                               settings: DNSSettings, options: ProbeOptions) throws(WorkflowError) -> Outcome? {
        guard settings.enabled else { return nil }
        var records: [String: [ProviderDNSRecord]] = [:]
        for r in results where ProviderSchemes.apis.contains(where: { $0.word == r.endpointPath }) {
            if let reported = r.providerDNSRecords, !reported.isEmpty { records[r.company] = reported }
        }
        let inputs = Self.inputs(companies, providerRecords: records, workspace: workspace)
        var outcome = try run(inputs, servers: settings.servers.isEmpty ? workspace.dnsServers : settings.servers,
                       timeoutMilliseconds: workspace.dnsTimeoutMilliseconds, concurrency: options.concurrency, deadline: options.deadline,
                       policyFetcher: MTASTSFetcher(options: options), certWarningDays: options.certWarningDays)
        outcome.checkedCompanies = Set(inputs.map(\.company)).count
        return outcome
    }

    /// One input per company that sends mail and is probed.
    static func inputs(_ companies: [Company<ResolvedSecret>], providerRecords: [String: [ProviderDNSRecord]],
                       workspace: Workspace) -> [DeliverabilityInput] {
        companies.filter { $0.probeDisabledReason == nil }.map { company in
            let sending: DeliverabilityInput.Sending
            if company.provider == .smtp {
                sending = .smtp(host: company.smtp?.host ?? "")
            } else if let api = ProviderSchemes.api(company.provider) {
                let records = providerRecords[company.id].map { list in
                    list.map { ReportedDNSRecord(recordType: $0.recordType, name: $0.name, value: $0.value, valid: $0.valid) }
                }
                sending = .api(.init(provider: api.word, domain: company.api(company.provider)?.domain ?? "", records: records,
                                     spfInclude: api.spfInclude))
            } else {
                sending = .platform(spfInclude: workspace.platformSPFInclude)
            }
            var input = DeliverabilityInput(company: company.id, senderDomain: company.sender.domain,
                                            dsarDomain: company.dsarSender?.domain, sending: sending, dkimSelector: company.dkimSelector)
            input.bulkSender = workspace.bulkSender
            input.requireMTASTS = workspace.requireMTASTS
            return input
        }
    }

    /// Runs the checks; a resolver that cannot be set up stops the run.
    static func run(_ inputs: [DeliverabilityInput], servers: [String], timeoutMilliseconds: Int,
                    concurrency: Int, deadline: Date? = nil, policyFetcher: (any MTASTSPolicyFetching)? = nil,
                    certWarningDays: Int = 21) throws(WorkflowError) -> Outcome {
        guard !inputs.isEmpty else { return Outcome(findings: []) }
        let client: DNSClient
        do {
            client = try DNSClient(configuration: DNSClientConfiguration(servers: servers, timeoutMilliseconds: timeoutMilliseconds,
                                                                          maxConcurrentQueries: max(1, concurrency)))
        } catch {
            throw .stopped(.dnsServer, "the DNS resolver cannot be used: \(error)", hint: "check --dns-server and probe.dns.servers: an IP address, optionally with :port (53 by default)")
        }
        let resolver: any SPFResolver = deadline.map { DeadlineResolver(base: client, deadline: $0) } ?? client
        let checker = DeliverabilityChecker(resolver: resolver, policyFetcher: policyFetcher, certWarningDays: certWarningDays)
        let box = FindingsBox()
        let done = DispatchSemaphore(value: 0)
        let canaries = Self.canaries(inputs)
        let resolverName = servers.isEmpty ? "the system's resolver (/etc/resolv.conf)" : "the resolver " + servers.joined(separator: ", ")
        // The workflow is synchronous; the checks are async on the DNS client's thread.
        Task.detached {
            // The resolver first: when it answers none of the first queries,
            // that is one finding, not one per domain it could not check.
            if let outage = await Self.outage(canaries, resolver: resolver, resolverName: resolverName) {
                box.findings = [outage]
            } else {
                box.findings = await checker.check(inputs)
            }
            done.signal()
        }
        done.wait()
        return Outcome(findings: box.findings)
    }

    final class FindingsBox: @unchecked Sendable { var findings: [DeliverabilityFinding] = [] }

    /// The finding of a resolver that answers nothing.
    public static let resolverUnavailable = "dns-resolver-unavailable"

    /// The first queries the checks would make: the TXT records of up to
    /// three sender domains (sorted, so every run asks the same).
    static func canaries(_ inputs: [DeliverabilityInput]) -> [String] {
        Array(Set(inputs.map(\.senderDomain).filter { !$0.isEmpty }).sorted().prefix(3))
    }

    /// One finding when every canary query timed out or was refused (an
    /// answer of any kind, NXDOMAIN too, means the resolver works).
    static func outage(_ names: [String], resolver: any SPFResolver, resolverName: String) async -> DeliverabilityFinding? {
        guard !names.isEmpty else { return nil }
        var failures: [(String, SPFDNSFailure)] = []
        await withTaskGroup(of: (String, SPFDNSFailure?).self) { group in
            for name in names {
                group.addTask {
                    if case .failure(let failure) = await resolver.txt(name) { return (name, failure) }
                    return (name, nil)
                }
            }
            for await (name, failure) in group { if let failure { failures.append((name, failure)) } }
        }
        guard failures.count == names.count else { return nil }
        failures.sort { $0.0 < $1.0 }
        let (name, failure) = failures[0]
        let what = failure == .timeout ? "timed out" : "got no usable answer (nothing listening, REFUSED, SERVFAIL or a broken reply)"
        return DeliverabilityFinding(
            id: resolverUnavailable, severity: .error, company: "", domain: "", field: "",
            message: "\(resolverName) answered none of the first \(names.count == 1 ? "query" : "\(names.count) queries") (txt lookup for \(name) \(what)); no domain was checked",
            hint: "check the network and probe.dns.servers (or --dns-server); pass --no-dns to skip the DNS stage",
            details: ["query": "TXT \(name)", "resolver": resolverName, "failure": failure == .timeout ? "timeout" : "servfail"])
    }

    /// Where a company's field is written (nil for a saved plan's settings).
    public static func locator(_ loaded: LoadResult?) -> @Sendable (String, String) -> SourceLocation? {
        let companies = Dictionary((loaded?.companies ?? []).map { ($0.company.id, $0) }, uniquingKeysWith: { a, _ in a })
        let files = loaded?.files
        return { company, field in files?.location(companies[company]?.mark(field) ?? companies[company]?.mark("company")) }
    }
}

/// MTA-STS policies fetched with the probe's trust settings and time limits.
struct MTASTSFetcher: MTASTSPolicyFetching {
    var options: ProbeOptions

    func fetchPolicy(host: String, addresses: [IPAddress]) async -> MTASTSFetch {
        let answer = await PolicyFetch.get(host: host, path: "/.well-known/mta-sts.txt", addresses: addresses.map(\.description),
                                           options: options, maxBytes: MTASTSFetch.maxBytes)
        let outcome: MTASTSFetch.Outcome
        if answer.tooLarge {
            outcome = .tooLarge
        } else if answer.deadlineReached {
            outcome = .notChecked(answer.failure ?? "the run's deadline was reached")
        } else if let failure = answer.failure {
            outcome = .failed(failure)
        } else {
            outcome = .answered(status: answer.status, contentType: answer.contentType, body: answer.body)
        }
        return MTASTSFetch(outcome: outcome, certificateExpiry: answer.certificateExpiry)
    }
}

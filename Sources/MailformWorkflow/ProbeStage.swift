import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// The probe flags, before the workspace supplies its defaults.
public struct ProbeSettings: Sendable {
    public var concurrency: Int?
    public var timeout: String?
    public var caFile: String?
    public var sendTestTo: String?
    /// `--deadline`: the whole probe's time (else `probe.deadline`).
    public var deadline: String?

    public init(concurrency: Int? = nil, timeout: String? = nil, caFile: String? = nil, sendTestTo: String? = nil, deadline: String? = nil) {
        self.deadline = deadline
        self.concurrency = concurrency
        self.timeout = timeout
        self.caFile = caFile
        self.sendTestTo = sendTestTo
    }

    /// The options for this workspace: flags win over `probe:` settings;
    /// endpoint overrides come from the environment (http only to the loopback address).
    /// - Throws: `WorkflowError.stopped` for a base URL the environment sets wrongly (not https, or plain http off 127.0.0.1).
    public func options(for workspace: Workspace, environment: [String: String]) throws(WorkflowError) -> ProbeOptions {
        var options = ProbeOptions(
            timeoutMilliseconds: timeout.flatMap(MailformCore.Duration.milliseconds) ?? workspace.probeTimeoutMilliseconds,
            concurrency: concurrency ?? workspace.probeConcurrency,
            proxy: workspace.probeProxy,
            caFile: caFile.map { Paths.absolute($0) } ?? workspace.probeCAFile)
        options.sendTestTo = sendTestTo
        options.ehloName = workspace.probeEHLOName
        options.certWarningDays = workspace.certWarningDays
        options.platformClient = workspace.platformClient
        // The probe trusts what the platform's JVM trusts: its CA bundle.
        if let bundle = workspace.platformCABundle { options.caFile = bundle }
        let deadline = self.deadline.flatMap(MailformCore.Duration.milliseconds) ?? workspace.probeDeadlineMilliseconds
        options.deadline = Date().addingTimeInterval(Double(deadline) / 1000)
        do {
            try options.applyEndpointOverrides(environment)
        } catch {
            throw .wrapping(error)
        }
        return options
    }
}

/// What a probe of some endpoints found, with the DNS stage's findings.
public struct ProbeOutcome: Sendable {
    public var results: [ProbeResult] = []
    /// Companies with `probe: false`, and why.
    public var skipped: [(company: String, reason: String)] = []
    /// The DNS stage, when it ran.
    public var deliverability: DeliverabilityStage.Outcome?
    /// The companies whose sending the DNS stage checked.
    public var checkedDomainsOf: [String] = []
    /// Where a company's field is written, for showing findings at their line.
    public var locate: @Sendable (String, String) -> SourceLocation? = { _, _ in nil }

    public init() {}

    /// Companies with a failed endpoint or an error-level DNS finding.
    public var failedCompanies: Set<String> {
        Set(results.filter { !$0.ok }.map(\.company)).union(deliverability?.failedCompanies ?? [])
    }

    public var failed: Bool { !failedCompanies.isEmpty }
}

/// probe: the endpoints of some companies, on one multi handle.
public enum ProbeStage {
    /// Probes the endpoints (`only` limits a company to some endpoints), with
    /// credentials where `gate` allows; hints are located at the field they name.
    public static func run(_ companies: [Company<ResolvedSecret>], only: [String: Set<String>]?, loaded: LoadResult?,
                           options: ProbeOptions, gate: CredentialGate, box: SecretBox?,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) -> (results: [ProbeResult], targets: ProbeTargets) {
        let loadedByID = Dictionary((loaded?.companies ?? []).map { ($0.company.id, $0) }, uniquingKeysWith: { a, _ in a })
        let targets = ProbeTargets.build(companies, only: only, location: { id, path in
            loaded?.files.location(loadedByID[id]?.mark(path))
        }, trustedSMTP: { company, server in
            gate.sendsEverywhere || (box.map { gate.allowsSMTP(company: company, server: server, box: $0) } ?? false)
        }, trustedAPI: { company, settings in
            gate.sendsEverywhere || (box.map { gate.allowsAPI(company: company, settings: settings, box: $0) } ?? false)
        }, sendsEverywhere: gate.sendsEverywhere)
        var results = Prober(options: options).probe(smtp: targets.smtp, apis: targets.apis, progress: progress)
        // A hint is shown at the line of the field it names (the profile's, when inherited).
        for i in results.indices {
            if let field = results[i].failure?.field, let location = loaded?.files.location(loadedByID[results[i].company]?.mark(field)) {
                results[i].location = location
            }
        }
        return (results, targets)
    }

    /// The endpoints each change of a plan touches, by company.
    public static func changedEndpoints(_ plan: Plan) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for change in plan.changes where change.action != .delete {
            let paths = ProbeTargets.changedEndpoints(change)
            if !paths.isEmpty { result[change.id] = paths }
        }
        return result
    }

    /// The probe of what a plan changes, then the DNS stage for the
    /// companies whose sending it changes (`plan --probe`, `apply`).
    public static func planned(_ plan: Plan, desired: [Company<ResolvedSecret>], loaded: LoadResult?, workspace: Workspace,
                               options: ProbeOptions, gate: CredentialGate, box: SecretBox, dns: DNSSettings,
                               progress: (@Sendable (Int, Int) -> Void)? = nil) throws(WorkflowError) -> ProbeOutcome {
        let endpoints = changedEndpoints(plan)
        var outcome = ProbeOutcome()
        outcome.locate = DeliverabilityStage.locator(loaded)
        let changed = desired.filter { endpoints[$0.id] != nil }
        if !endpoints.isEmpty {
            let run = run(changed, only: endpoints, loaded: loaded, options: options, gate: gate, box: box, progress: progress)
            (outcome.results, outcome.skipped) = (run.results, run.targets.skipped)
        }
        let touched = Set(DeliverabilityStage.sendingChanged(plan))
        outcome.deliverability = try DeliverabilityStage.outcome(desired.filter { touched.contains($0.id) }, results: outcome.results,
                                                                 workspace: workspace, settings: dns, options: options)
        outcome.checkedDomainsOf = touched.sorted()
        return outcome
    }
}

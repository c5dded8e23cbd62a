import Foundation
import MailformCore
import MailformProbe
import MailformStore

public struct PlanRequest: Sendable {
    public var input: WorkspaceInput
    public var companies: [String] = []
    public var prune = false
    /// `--out FILE`: save the signed plan for `apply FILE`.
    public var out: String?
    /// The version written into a saved plan.
    public var version = "unknown"
    /// `--probe`: probe what the plan changes (and run the DNS stage).
    public var probe = false
    /// `--send-credentials`: credentials also to endpoints the store does not hold them for.
    public var sendCredentials = false
    public var probeSettings = ProbeSettings()
    public var dns = DNSSettings(enabled: false)
    /// Changed companies `--out` keeps in memory (`Stages.defaultKeepLimit`).
    public var keepLimit = Stages.defaultKeepLimit

    public init(input: WorkspaceInput) { self.input = input }
}

public struct PlanOutcome: Sendable {
    public var plan: Plan
    public var loaded: Loaded
    /// With `probe`: what the probe and the DNS stage found.
    public var probe: ProbeOutcome?
    /// The store's companies as the plan read them (its connection is closed:
    /// SQLite removes its -wal and -shm files only then).
    public var store: OpenedStore
    /// The digest of the change set reviewers see (``ReviewedChangeSet``):
    /// `apply --reviewed` applies exactly this change set or nothing.
    public var changeSet: String
    /// References the apply would record beside the plan: the value stays,
    /// the reference changes (company, path, from, to).
    public var recordedReferences: [(company: String, path: String, from: String?, to: String)] = []
}

/// plan: load → resolve → diff against the store, optionally saved (signed)
/// and probed. Never writes the store; `--out` writes only the plan file
/// (and the store key, which signs it).
public enum PlanWorkflow {
    /// - Throws: `WorkflowError`: `.invalid` (the files), `.stopped` (the store, a saved plan that cannot be written).
    public static func run(_ request: PlanRequest, hooks: WorkflowHooks = WorkflowHooks()) throws(WorkflowError) -> PlanOutcome {
        if request.input.snapshot != nil {
            if request.out != nil {
                throw .stopped(.usage, "plan --snapshot cannot save a plan (--out): a saved plan is signed with the store key, which a plan against a snapshot never holds",
                             hint: "review the plan's change set, then apply it after merge with 'mailform apply --reviewed DIGEST PATHS'")
            }
            if request.sendCredentials {
                throw .stopped(.usage, "plan --snapshot sends no credential (--send-credentials): it holds none",
                             hint: "drop --send-credentials; the apply after merge probes with credentials")
            }
        }
        // Only a saved plan needs a lasting key (it is signed with it).
        // The probe needs every changed company; a saved plan reads them
        // again from their files as it writes them (a bounded number in
        // memory); a plan that only shows itself keeps none.
        let keepLimit: Int? = request.probe ? nil : request.out != nil ? request.keepLimit : 0
        let planned = try Stages.planFiles(request.input, companies: request.companies, prune: request.prune, writes: false,
                                           signs: request.out != nil, keepsMarks: request.probe, keepLimit: keepLimit, hooks: hooks)
        let (plan, loaded, opened) = (planned.plan, planned.loaded, planned.opened)
        let workspace = loaded.result.workspace
        if let out = request.out { try save(planned, request: request, to: out) }
        // Credentials go only to endpoints that already hold that same
        // secret in the store (docs/security.md): a pull request cannot
        // make the probe hand a secret to a new host, port or TLS mode.
        var gate = CredentialGate.everywhere
        if opened.snapshot != nil {
            gate = .nowhere
        } else if request.probe && !request.sendCredentials {
            do { gate = try CredentialGate(store: opened, companies: plan.changes.map(\.id)) } catch { throw .wrapping(error) }
            if let why = CredentialGate.untrustedPath(workspace) { gate = .nowhere; hooks.notice(why) }
        }
        var closed = opened
        closed.close()
        // The change set as reviewers see it: a plan against the store also
        // names the references its apply would record (same values).
        let recorded: [RecordedReference]
        do { recorded = try Reconciler.unrecorded(planned.references, opened: opened, plan: plan) } catch { throw .wrapping(error) }
        let changeSet = ReviewedChangeSet.digest(plan, recording: recorded.map {
            ReviewedChangeSet.Recorded(company: $0.company, path: $0.path, from: $0.previous, to: $0.reference)
        }, revisions: opened.summaries.mapValues(\.revision), storeID: opened.changeSetStore, settings: workspace.settingsDigest)
        var outcome = PlanOutcome(plan: plan, loaded: loaded, store: closed, changeSet: changeSet)
        outcome.recordedReferences = recorded.map { ($0.company, $0.path, $0.previous, $0.reference) }
        if request.probe {
            let options = try request.probeSettings.options(for: workspace, environment: request.input.environment)
            outcome.probe = try ProbeStage.planned(plan, desired: loaded.desired, loaded: loaded.result, workspace: workspace, options: options,
                                                   gate: gate, box: opened.box, dns: request.dns, progress: hooks.progress)
        }
        return outcome
    }

    /// Writes the saved plan (format 3, ``SavedPlanLines``) as it is made:
    /// the companies are taken a chunk at a time (read again from their files
    /// when not held), signed line by line, and never held whole.
    static func save(_ planned: PlannedFiles, request: PlanRequest, to out: String) throws(WorkflowError) {
        let (plan, loaded, opened) = (planned.plan, planned.loaded, planned.opened)
        let workspace = loaded.result.workspace
        // A plan made before the store exists names the store it may create.
        let storeID = opened.storeID ?? UUID().uuidString.lowercased()
        let salt = Hex.random(16)
        let workspaceFile = WorkspaceLoader.find(paths: request.input.paths, override: request.input.workspace).map(Paths.display)
        let header = SavedPlanLines.header(plan, storeID: storeID, createsStore: opened.storeID == nil, salt: salt, mode: workspace.mode,
                                           workspaceFile: workspaceFile, version: request.version, createdAt: Date())
        let mac = opened.box.planMACStream()
        let digest = Digest.Stream()
        let box = opened.box, root = workspace.root
        do {
            try SafeWrite.write(to: out, mode: 0o644) { emit in
                func line(_ bytes: [UInt8]) throws {
                    mac.update(bytes)
                    digest.update(bytes)
                    try emit(bytes)
                }
                try line(SavedPlanLines.encode(header))
                let changes = plan.changes
                for start in stride(from: 0, to: changes.count, by: 512) {
                    let chunk = Array(changes[start..<min(start + 512, changes.count)])
                    let companies = try planned.desired.companies(chunk.filter { $0.action != .delete }.map(\.id))
                    var byID: [String: Company<ResolvedSecret>] = [:]
                    for company in companies { if let company { byID[company.id] = company } }
                    let held = byID
                    // Made on every core, written in order.
                    let lines = Parallel.map(chunk.count) { k -> Result<[UInt8], Error> in
                        Result {
                            let change = chunk[k]
                            var desired: Company<PlannedSecret>?
                            if change.action != .delete {
                                guard let company = held[change.id] else { throw Reconciler.Failure("company \(change.id) of the plan has no settings to save", code: .planSettings) }
                                desired = try Reconciler.planned(company, box: box, storeID: storeID, salt: salt, workspaceRoot: root)
                            }
                            return try SavedPlanLines.encode(SavedPlanLines.change(change, desired: desired))
                        }
                    }
                    for made in lines { try line(made.get()) }
                }
                try emit(SavedPlanLines.encode(SavedPlanLines.Trailer(digest: "sha256:" + digest.finishHex(), mac: "hmac-sha256:" + mac.finishHex())))
            }
        } catch let refusal as SafeWrite.Refusal {
            throw .wrapping(refusal)
        } catch let failure as Store.Failure {
            throw .wrapping(failure, "; the plan file was not written")
        } catch {
            throw .stopped(.writeRefused, "cannot write the plan file \(SafeText.escape(out)): \(error); it was not written")
        }
    }
}

public struct ProbeRequest: Sendable {
    public var input: WorkspaceInput
    public var companies: [String] = []
    public var sendCredentials = false
    public var probeSettings = ProbeSettings()
    public var dns = DNSSettings(enabled: false)

    public init(input: WorkspaceInput) { self.input = input }
}

/// probe: every endpoint of the selected companies, then the DNS stage.
/// Reads the store (never creates it, nor a key) for the credential gate.
public enum ProbeWorkflow {
    /// - Throws: `WorkflowError`: `.invalid` (the files), `.stopped` (the probe's settings or the store).
    public static func run(_ request: ProbeRequest,
                           hooks: WorkflowHooks = WorkflowHooks()) throws(WorkflowError) -> (outcome: ProbeOutcome, loaded: Loaded) {
        let result = try Stages.load(request.input)
        let workspace = result.workspace
        let path = StoreLocation.resolve(flag: request.input.storeFlag, workspace: workspace)
        let opened = try Stages.openStore(path: path, create: false, createKey: false, lockTimeout: request.input.lockTimeout,
                                          environment: request.input.environment, readOnly: true)
        let chosen: ((String) -> Bool)? = request.companies.isEmpty ? nil : { id in request.companies.contains { Glob.matches(pattern: $0, id) } }
        let loaded = try Stages.resolve(result, storeIDs: opened.summaries.keys, environment: request.input.environment, only: chosen)
        if !loaded.warnings.isEmpty { hooks.warnings(loaded.warnings) }
        let selected = loaded.desired
        if selected.isEmpty && !request.companies.isEmpty {
            throw .stopped(.noCompanyMatches, "no company matches \(request.companies.map(SafeText.escape).joined(separator: ", "))\(CompanySuggestion.note(for: request.companies, among: opened.summaries.keys))")
        }
        let options = try request.probeSettings.options(for: workspace, environment: request.input.environment)
        // Credentials go only where the store already holds them, unless the
        // operator passes --send-credentials (docs/security.md).
        var gate = CredentialGate.everywhere
        if !request.sendCredentials {
            do { gate = try CredentialGate(store: opened, companies: selected.map(\.id)) } catch { throw .wrapping(error) }
            if let why = CredentialGate.untrustedPath(workspace) { gate = .nowhere; hooks.notice(why) }
        }
        var outcome = ProbeOutcome()
        outcome.locate = DeliverabilityStage.locator(result)
        let run = ProbeStage.run(selected, only: nil, loaded: result, options: options, gate: gate, box: opened.box,
                                 progress: hooks.progress)
        (outcome.results, outcome.skipped) = (run.results, run.targets.skipped)
        // The DNS stage: will the mail arrive (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT)?
        outcome.deliverability = try DeliverabilityStage.outcome(selected, results: outcome.results, workspace: workspace,
                                                                 settings: request.dns, options: options)
        outcome.checkedDomainsOf = selected.map(\.id)
        return (outcome, loaded)
    }
}

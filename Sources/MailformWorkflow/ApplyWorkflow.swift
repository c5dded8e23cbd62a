import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// apply: load → resolve → plan → safety → approval → probe gate → write,
/// or the same from a saved plan (verified and recomputed by `SavedPlanCheck`).
/// Nothing is written unless every step before the write passed.
public enum ApplyWorkflow {
    /// Plans the files and applies the plan.
    /// - Throws: `WorkflowError`: `.invalid` (the files), `.stopped` (the store, the safety limits, approval, a failed probe, a stale plan); nothing is written then.
    public static func fresh(_ request: ApplyRequest, hooks: WorkflowHooks = WorkflowHooks()) throws(WorkflowError) -> ApplyOutcome {
        if case .unavailable = request.approval {
            // Checked first, as before the files were read: nothing else can go on.
            _ = try Stages.load(request.input)
            throw .stopped(.approvalNeeded, "apply needs --auto-approve when it is not run on a terminal",
                           hint: "review with 'mailform plan --out plan.json', then 'mailform apply plan.json', or pass --auto-approve")
        }
        // The store is created only when there is something to write.
        // The probe needs every changed company; without it, an apply keeps
        // a bounded number and reads the others again as it writes them.
        let planned = try Stages.planFiles(request.input, companies: request.companies, prune: request.prune, writes: true,
                                           keepsMarks: !request.noProbe, keepLimit: request.noProbe ? request.keepLimit : nil, hooks: hooks,
                                           createsStore: request.createStore || request.reviewed != nil, defersKey: true)
        let (plan, loaded, opened) = (planned.plan, planned.loaded, planned.opened)
        // The lasting key (its file made now, for a new store), only once
        // nothing is left that could refuse the write.
        func lasting() throws(WorkflowError) -> OpenedStore {
            let made: OpenedStore
            do { made = try Reconciler.lastingKey(opened, environment: request.input.environment) } catch {
                throw .wrapping(error, "; nothing was written")
            }
            if made.keySource != opened.keySource, let notice = made.keyNotice { hooks.notice(notice) }
            return made
        }
        hooks.info("planned against \(opened.label)" + (opened.storeID == nil && !plan.isEmpty ? "; apply creates it (--create-store)" : ""))
        // References renamed to others that hold the same values change no
        // setting; they are recorded with the apply (or alone).
        let references: [RecordedReference]
        do { references = try Reconciler.unrecorded(planned.references, opened: opened, plan: plan) } catch { throw .wrapping(error, "; nothing was written") }
        if let reviewed = request.reviewed,
           try !checkReviewed(plan, references: references, digest: reviewed, opened: opened, settings: loaded.result.workspace.settingsDigest) {
            hooks.notice("nothing to apply: the store already matches the files")
        }
        let result = loaded.result
        let workspace = result.workspace
        // The workspace's commit, asked of git while the plan is shown.
        let root = workspace.root
        let commit = plan.isEmpty ? nil : Background(ownThread: true) { GitInfo.head(of: root) }
        hooks.planned(plan)
        // Adoptions are recorded with the apply's own write (`Applier`), or
        // alone when there is nothing else to write: never by an apply that
        // stops before writing.
        let adopted = plan.adoptedDrift.isEmpty ? nil
            : "recorded as adopted (changed outside mailform, and the files say the same): \(plan.adoptedDrift.prefix(20).map(SafeText.escape).joined(separator: ", "))\(plan.adoptedDrift.count > 20 ? " and \(plan.adoptedDrift.count - 20) more" : "")"
        guard !plan.isEmpty else {
            if let adopted, let store = opened.store {
                do { try Applier.acknowledgeAdopted(plan.adoptedDrift, expected: plan.baseRevisions, store: store) } catch { throw .wrapping(error) }
                hooks.notice(adopted)
            }
            PlanRenderer.text(plan, style: .plain, emit: hooks.plainText)
            if !references.isEmpty, let store = opened.store {
                do { try Applier.recordReferences(references, store: store) } catch { throw .wrapping(error, "; nothing was written") }
                hooks.notice("recorded the references of \(references.count) secret\(references.count == 1 ? "" : "s") (their values did not change, so no setting did)")
            }
            return ApplyOutcome(plan: plan)
        }
        let safety = Result { () throws(WorkflowError) in if !request.force { try Stages.checkSafety(plan, workspace: workspace) } }
        // Without a question to ask or a probe to pass, what will be written
        // is known once the plan is: it is written (secrets sealed, rows
        // made, inserted) while the plan's text is made, and committed once
        // the whole text is made, with its digest. The text is printed on a
        // thread of its own: a reader slow to take it (a pager, a stalled
        // pipe) holds the text in memory, never the store's lock.
        if request.noProbe, request.approval.isAutomatic, case .success = safety {
            let opened = try lasting()
            let shown = Promise<String>()
            // A notice of the write waits for the plan's text, not to cut into it.
            let notices = Notices()
            var writingHooks = hooks
            writingHooks.notice = notices.add
            let writing = Background(ownThread: true) { [writingHooks] () -> Result<Int64, WorkflowError> in
                // The rows are made while the store is opened (or created).
                let rows = PreparedRows(plan, desired: planned.desired, box: opened.box)
                return Result { () throws(WorkflowError) in
                    try write(plan, desired: planned.desired, expectedStoreID: opened.storeID,
                              details: { (shown.value, commit?.value) }, opened: opened, rows: rows, references: references,
                              request: request, hooks: writingHooks)
                }
            }
            let digest = Digest.Stream()
            let printer = Printer(hooks.plainText)
            PlanRenderer.text(plan, style: .plain) { piece in
                digest.update(piece)
                printer.add(piece)
            }
            shown.fulfill("sha256:" + digest.finishHex())
            printer.finish()
            hooks.info("connectivity was not checked (--no-probe)")
            let written = writing.value
            notices.lines.forEach(hooks.notice)
            let revision = try written.get()
            if let adopted { hooks.notice(adopted) }
            return ApplyOutcome(plan: plan, revision: revision, read: planned)
        }
        let digest = Digest.Stream()
        PlanRenderer.text(plan, style: .plain) { piece in
            digest.update(piece)
            hooks.plainText(piece)
        }
        try safety.get()
        if case .ask(let confirm) = request.approval, !confirm(plan) { throw .stopped(.applyCancelled, "apply cancelled; nothing was written") }
        let gated = try probeBeforeWriting(plan, desired: loaded.desired, loaded: result, workspace: workspace, box: opened.box,
                                           request: request, hooks: hooks)
        let planDigest = "sha256:" + digest.finishHex()
        let writer = try lasting()
        let revision = try write(gated.plan, desired: planned.desired, expectedStoreID: opened.storeID,
                                 details: { (planDigest, commit?.value) }, opened: writer, references: references,
                                 leftOut: gated.leftOut, request: request, hooks: hooks)
        if let adopted { hooks.notice(adopted) }
        return ApplyOutcome(plan: gated.plan, probe: gated.probe, revision: revision, leftOut: gated.leftOut, read: planned)
    }

    /// Applies a plan saved with `plan --out`: verified, re-validated and
    /// recomputed; what is shown, probed and written is the recomputed plan.
    /// - Parameter label: how the file is named in messages.
    /// - Throws: `WorkflowError`: `.stopped` when the saved plan does not verify, is stale, or the store refuses; nothing is written then.
    public static func saved(file: String, label: String, _ request: ApplyRequest,
                             hooks: WorkflowHooks = WorkflowHooks()) throws(WorkflowError) -> ApplyOutcome {
        let prepared: SavedPlanCheck.Prepared
        do {
            prepared = try SavedPlanCheck.prepare(file: file, label: label, workspaceOverride: request.input.workspace,
                                                  options: request.input.options, lockTimeout: request.input.lockTimeout,
                                                  holdsAll: !request.noProbe)
        } catch let refusal as SavedPlanCheck.Refusal {
            switch refusal {
            case .invalid(let diagnostics):
                var collector = DiagnosticCollector()
                collector.report(contentsOf: diagnostics)
                throw .invalid(collector, files: 1)
            case .refused, .stale: throw .wrapping(refusal)
            }
        } catch {
            throw .wrapping(error)
        }
        if !prepared.warnings.isEmpty { hooks.warnings(prepared.warnings) }
        let plan = prepared.plan
        hooks.planned(plan)
        PlanRenderer.text(plan, style: .plain, emit: hooks.plainText)
        guard !plan.isEmpty else { return ApplyOutcome(plan: plan) }
        try requireStore(prepared.opened, createStore: request.createStore)
        hooks.info("applying to \(prepared.opened.label)")
        if !request.force { try Stages.checkSafety(plan, workspace: prepared.workspace) }
        let gated = try probeBeforeWriting(plan, desired: prepared.companies, loaded: nil, workspace: prepared.workspace,
                                           box: prepared.opened.box, request: request, hooks: hooks)
        let (planDigest, commit) = (prepared.digest, GitInfo.head(of: prepared.workspace.root))
        let revision = try write(gated.plan, desired: prepared.desired, expectedStoreID: prepared.storeID,
                                 details: { (planDigest, commit) }, opened: prepared.opened,
                                 leftOut: gated.leftOut, request: request, hooks: hooks)
        return ApplyOutcome(plan: gated.plan, probe: gated.probe, revision: revision, leftOut: gated.leftOut)
    }

    /// Refuses a plan whose reviewed change set is not the one `digest` names.
    /// - Parameter references: references the apply records besides the
    ///   plan (same values, other references): reviewers saw them as changes.
    ///   - settings: the workspace settings in effect (`Workspace.settingsDigest`).
    /// - Returns: false when there is nothing to write at all (the store
    ///   already matches the files; a merge that changed only settings).
    @discardableResult
    static func checkReviewed(_ plan: Plan, references: [RecordedReference], digest: String, opened: OpenedStore,
                              settings: String) throws(WorkflowError) -> Bool {
        guard opened.recordsEveryReference else {
            throw .stopped(.planRefused, "the store holds secrets written by an older version of mailform, without their references, so this change set cannot be compared with the reviewed one; nothing was written",
                           hint: "run one apply without --reviewed (it records the references), then snapshot the store again for pull requests")
        }
        let recording = references.map {
            ReviewedChangeSet.Recorded(company: $0.company, path: $0.path, from: $0.previous, to: $0.reference)
        }
        let revisions = opened.summaries.mapValues(\.revision)
        let now = ReviewedChangeSet.digest(plan, recording: recording, revisions: revisions, storeID: opened.changeSetStore, settings: settings)
        guard now != digest else { return true }
        // A first deployment reviewed against a snapshot written with --empty
        // names no path: the operator chose to start the store wherever apply runs.
        if opened.storeID == nil,
           ReviewedChangeSet.digest(plan, recording: recording, revisions: revisions, storeID: ReviewedChangeSet.noStore, settings: settings) == digest {
            return true
        }
        // Only a change set that is not the reviewed one is held whole, to be shown.
        let view = ReviewedChangeSet.view(plan, recording: recording, revisions: revisions)
        // Nothing to write is no risk: the store matches the files (the
        // change set was applied already, or a merge changed only settings).
        if view.isEmpty && plan.isEmpty && references.isEmpty { return false }
        // The usual causes, named when they can be told.
        var why = ""
        if opened.storeID != nil, ReviewedChangeSet.digest(of: view, storeID: ReviewedChangeSet.absent(at: Paths.absolute(opened.path)), settings: settings) == digest
            || ReviewedChangeSet.digest(of: view, storeID: nil, settings: settings) == digest {
            why = "\nIt was reviewed against a snapshot of no store (a first deployment), and a store exists now: plan the pull request again against its snapshot."
        } else if opened.storeID == nil {
            why = "\nNo store is at \(SafeText.escape(Paths.display(opened.path))): if it was reviewed against no store, that was at another path (check --store and MAILFORM_STORE)."
        }
        var lines = view.prefix(20).map { change in
            "  \(change.action.symbol) \(SafeText.escape(change.id)) (company revision \(change.baseRevision)): "
                + change.fields.prefix(8).map { SafeText.escape($0.path) }.joined(separator: ", ")
                + (change.fields.count > 8 ? ", and \(change.fields.count - 8) more" : "")
        }
        if view.count > 20 { lines.append("  … and \(view.count - 20) more compan\(view.count == 21 ? "y" : "ies")") }
        if view.isEmpty { lines.append("  (no change)") }
        throw .stopped(.reviewedDiffers, """
            the change set to apply is not the reviewed one; nothing was written
              reviewed: \(digest)
              now:      \(now) (store \(SafeText.escape(opened.changeSetStore)), workspace settings \(settings.prefix(19))…, \(view.count) compan\(view.count == 1 ? "y" : "ies") changed)
            The change set now:
            \(lines.joined(separator: "\n"))\(why)
            """, hint: "the store, the files or the workspace settings changed since the review (another merge, an edit on the settings page, a mailform.yaml this merge changed, other --company or --prune flags): plan the pull request again and review the new change set")
    }

    /// Probes every changed endpoint with its credentials (apply runs after
    /// review), like the settings page's Save. A failure stops the apply,
    /// unless `skipFailed` leaves the failing companies out.
    static func probeBeforeWriting(_ plan: Plan, desired: [Company<ResolvedSecret>], loaded: LoadResult?, workspace: Workspace,
                                   box: SecretBox, request: ApplyRequest,
                                   hooks: WorkflowHooks) throws(WorkflowError) -> (plan: Plan, leftOut: [String], probe: ProbeOutcome?) {
        if request.noProbe {
            hooks.info("connectivity was not checked (--no-probe)")
            return (plan, [], nil)
        }
        let options = try request.probe.options(for: workspace, environment: request.input.environment)
        let outcome = try ProbeStage.planned(plan, desired: desired, loaded: loaded, workspace: workspace, options: options,
                                             gate: .everywhere, box: box, dns: request.dns, progress: hooks.progress)
        hooks.probed(outcome)
        let failed = outcome.failedCompanies
        guard !failed.isEmpty else { return (plan, [], outcome) }
        guard request.skipFailed else {
            throw .probeFailed("\(failed.count) compan\(failed.count == 1 ? "y" : "ies") failed the probe or the DNS checks (\(SafeText.list(failed.sorted()))); nothing was written",
                               hint: "fix the settings named above, or pass --skip-failed to write the others, or --no-probe to skip the check")
        }
        var kept = plan
        kept.changes.removeAll { failed.contains($0.id) }
        hooks.notice("left out because their probe failed: \(SafeText.list(failed.sorted()))")
        if kept.changes.isEmpty { throw .probeFailed("every changed company failed the probe; nothing was written", hint: nil) }
        return (kept, failed.sorted(), outcome)
    }

    /// A store that does not exist is created only with `--create-store`.
    static func requireStore(_ opened: OpenedStore, createStore: Bool) throws(WorkflowError) {
        guard opened.store == nil, opened.snapshot == nil, !createStore else { return }
        let path = opened.path
        if StoreLocation.isURL(path) {
            throw .stopped(.storeNotFound, "no store at \(Paths.display(path)): its database holds no mailform store yet; nothing was written",
                           hint: "check --store, MAILFORM_STORE or the workspace's store:; to start a new store in that database, pass --create-store")
        }
        let folder = Paths.directory(of: path)
        guard Paths.isDirectory(folder) else {
            throw .stopped(.storeNotFound, "no store at \(SafeText.escape(Paths.display(path))): its folder \(SafeText.escape(Paths.display(folder))) does not exist; nothing was written",
                           hint: "check --store, MAILFORM_STORE or the workspace's store:")
        }
        throw .stopped(.storeNotFound, "no store at \(SafeText.escape(Paths.display(path)))\(StoreLocation.didYouMean(path)); nothing was written",
                       hint: "check --store, MAILFORM_STORE or the workspace's store:; to start a new store there, pass --create-store")
    }

    /// Writes in one transaction: the store is created first if it is new;
    /// the rows are made on other threads as they are written.
    static func write(_ plan: Plan, desired: DesiredCompanies, expectedStoreID: String?,
                      details: @escaping @Sendable () -> (planDigest: String, sourceCommit: String?),
                      opened: OpenedStore, rows: PreparedRows? = nil, references: [RecordedReference] = [], leftOut: [String] = [],
                      request: ApplyRequest,
                      hooks: WorkflowHooks) throws(WorkflowError) -> Int64 {
        var opened = opened
        if opened.store == nil {
            opened = try Stages.openStore(path: opened.path, create: true, lockTimeout: request.input.lockTimeout,
                                          environment: request.input.environment, newStoreID: expectedStoreID)
            if let notice = opened.keyNotice { hooks.notice(notice) }
        }
        guard let store = opened.store else { throw .stopped(.internalError, "the store is not open") }
        var applied = Applier.Request(plan: plan, desired: desired, expectedStoreID: expectedStoreID, actor: request.actor,
                                      leftOut: leftOut, details: details)
        applied.progress = hooks.phase
        applied.references = references
        do {
            return try Applier.apply(applied, store: store, box: opened.box, rows: rows)
        } catch let stale as Applier.StalePlan {
            throw .wrapping(stale)
        } catch let failure as Store.Failure {
            throw .wrapping(failure, "; nothing was written")
        } catch {
            throw .stopped(.storeWrite, "apply failed: \(error); nothing was written")
        }
    }
}

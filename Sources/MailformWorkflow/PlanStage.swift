import Foundation
import MailformCore
import MailformStore

/// A plan of the files, with what later steps need of the companies it
/// adds or changes (and of no other company).
public struct PlannedFiles: Sendable {
    public var plan: Plan
    /// `desired` and `result.companies` hold only the changed companies
    /// (`result.companies` only when marks were asked for).
    public var loaded: Loaded
    /// The store, still open (a plan that writes a plan file or the store
    /// reads it again); its key is a lasting one when the run writes.
    public var opened: OpenedStore
    /// The settings of every added or changed company, for the write: the
    /// ones in `loaded.desired`, and those read again from their files.
    public var desired: DesiredCompanies
    /// For an apply: every planned company's secrets with their references,
    /// to record where the store holds another (or none): a reference
    /// renamed to one that holds the same value changes no setting, but the
    /// store must say where the value comes from (``Applier/Request/references``).
    public var references: [RecordedReference] = []
}

extension Stages {
    /// Files loaded and planned at a time: the memory of a plan follows this
    /// and the number of changes, not the number of files.
    public static let defaultBatchSize = 2_048

    /// Changed companies an apply keeps in memory; beyond, it keeps their
    /// file and digest and reads them again as it writes (`DesiredCompanies`).
    public static let defaultKeepLimit = 4_096

    /// load → validate → resolve → diff, batch by batch. The store is read
    /// (summaries: id, revision, digest of the fields) while the first
    /// batch loads; each batch is resolved and compared as it comes, and an
    /// unchanged company leaves only its revision behind. Nothing is written
    /// before every file is known valid; a run that writes gets a lasting
    /// store key only then.
    /// - Parameters:
    ///   - writes: an apply (the store key must last if the plan writes).
    ///   - signs: `plan --out` (the key signs the plan: it must last).
    ///   - keepsMarks: keep the changed companies' positions (the probe's hints point at them).
    ///   - keepLimit: keep at most this many changed companies in memory
    ///     (0: none at all, for a plan that only shows itself;
    ///     (nil: all; the probe and a saved plan need them all).
    public static func planFiles(_ input: WorkspaceInput, companies scope: [String], prune: Bool, writes: Bool, signs: Bool = false,
                                 keepsMarks: Bool,
                                 keepLimit: Int? = nil, hooks: WorkflowHooks, migrated: Bool = false,
                                 createsStore: Bool = true, defersKey: Bool = false) throws(WorkflowError) -> PlannedFiles {
        let filter: ((String) -> Bool)? = scope.isEmpty ? nil : { id in scope.contains { Glob.matches(pattern: $0, id) } }
        let prefetch = StorePrefetch()
        let state = StreamState(keepLimit: keepLimit, fingerprintsReferences: writes)
        let batching = CompanyLoader.Batching(size: input.batchSize, extraOwners: { wait in
            // The env fence keeps the store's companies' variables too.
            guard wait || prefetch.isDone else { return nil }
            guard let opened = state.store(prefetch) else { return [] }
            return Set(opened.summaries.keys.map(SecretOwner.envForm))
        }, consume: { batch, context in
            state.consume(batch, context: context, environment: input.environment, filter: filter, keepsMarks: keepsMarks)
        })
        let result = CompanyLoader.load(paths: input.paths, workspaceOverride: input.workspace, options: input.options, onWorkspace: { workspace in
            prefetch.start(path: StoreLocation.resolve(flag: input.storeFlag, workspace: workspace), lockTimeout: input.lockTimeout,
                           environment: input.environment, readOnly: !writes, snapshot: input.snapshot)
        }, batching: batching)
        if result.diagnostics.hasErrors {
            prefetch.discard()
            throw .invalid(result.diagnostics, files: result.fileCount)
        }
        if let failure = state.failure { throw failure }
        _ = state.store(prefetch)
        if prefetch.needsMigration {
            if migrated { throw .stopped(.storeOlder, "the store still needs migrating after its migration") }
            // The files are valid: migrate the store, then plan them again
            // (once per store made by an older version).
            _ = try Stages.openStore(path: StoreLocation.resolve(flag: input.storeFlag, workspace: result.workspace), create: false,
                                     createKey: false, lockTimeout: input.lockTimeout, environment: input.environment)
            return try planFiles(input, companies: scope, prune: prune, writes: writes, signs: signs, keepsMarks: keepsMarks,
                                 keepLimit: keepLimit, hooks: hooks,
                                 migrated: true, createsStore: createsStore, defersKey: defersKey)
        }
        guard var opened = state.store(prefetch) else { throw state.failure ?? .stopped(.storeUnreadable, "the store could not be read") }
        if let notice = opened.keyNotice { hooks.notice(notice) }
        var diagnostics = result.diagnostics
        diagnostics.report(contentsOf: state.resolveDiagnostics.diagnostics)
        if diagnostics.hasErrors { throw .invalid(diagnostics, files: result.fileCount) }
        let warnings = diagnostics.sorted.filter { $0.severity != .error }
        if !warnings.isEmpty { hooks.warnings(warnings) }
        let plan: Plan
        do {
            plan = try Reconciler.finish(state.builder ?? Differ.Builder(current: opened.summaries, scope: filter), opened: opened, prune: prune)
        } catch {
            throw .wrapping(error)
        }
        // A saved plan is signed with the key; an apply needs it only when
        // it writes something (an empty plan creates no key file).
        if signs && !writes && opened.keySource == .ephemeral {
            let postgres = StoreLocation.isURL(opened.path)
            throw .stopped(.storeKey, "plan --out signs the plan with the store key, and there is none yet (MAILFORM_STORE_KEY is not set\(postgres ? "; a PostgreSQL store's key comes only from it" : " and the store has no key file")); nothing was written",
                           hint: postgres ? "set MAILFORM_STORE_KEY to the store's key (base64 of 32 bytes)"
                                          : "set MAILFORM_STORE_KEY to the key apply will use (base64 of 32 bytes), or run apply once: only apply creates a key file")
        }
        // No key file is made for a store that will not be made.
        if writes && !plan.isEmpty && !createsStore { try ApplyWorkflow.requireStore(opened, createStore: false) }
        // An apply makes the key file only as it writes (`defersKey`): a
        // run refused later (the reviewed change set, the probe) leaves none.
        if signs || (writes && !plan.isEmpty && !defersKey) {
            do {
                opened = try Reconciler.lastingKey(opened, environment: input.environment)
            } catch {
                throw .wrapping(error)
            }
            if let notice = opened.keyNotice { hooks.notice(notice) }
        }
        if !scope.isEmpty && plan.isEmpty && plan.unchangedCount == 0 && plan.unmanaged.isEmpty {
            throw .stopped(.noCompanyMatches, "no company matches \(scope.map(SafeText.escape).joined(separator: ", "))\(CompanySuggestion.note(for: scope, among: opened.summaries.keys))\(writes ? "; nothing was written" : "")",
                           hint: "--company takes company ids, with '*' wildcards")
        }
        var kept = result
        kept.companies = state.keptLoaded
        let held = Dictionary(state.kept.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var desired = DesiredCompanies.held(held)
        if let spilled = state.spilled {
            desired = .reloaded(held: held, reloadable: spilled.ids, reload: { ids in try spilled.read(ids) })
        }
        return PlannedFiles(plan: plan, loaded: Loaded(result: kept, desired: state.kept, warnings: warnings), opened: opened,
                            desired: desired, references: state.references)
    }

    /// What the batches of one plan share. Batches are handed over one at a
    /// time, on the loading thread.
    final class StreamState: @unchecked Sendable {
        let keepLimit: Int?
        /// The changed companies past `keepLimit`, kept aside sealed.
        private(set) var spilled: SpilledCompanies?
        private var opened: OpenedStore?

        /// Every planned secret's reference (an apply fingerprints each value too).
        let fingerprintsReferences: Bool
        private(set) var references: [RecordedReference] = []

        init(keepLimit: Int?, fingerprintsReferences: Bool) {
            self.keepLimit = keepLimit
            self.fingerprintsReferences = fingerprintsReferences
        }

        /// The first `keepLimit` changed companies stay in memory; every
        /// later one is kept aside, sealed, until it is written
        /// (`SpilledCompanies`). Reading the files again instead made an
        /// apply of 100,000 new companies take 2.1 times its plan.
        private func release() throws {
            guard let keepLimit, kept.count > keepLimit else { return }
            if spilled == nil { spilled = try SpilledCompanies() }
            try spilled!.append(Array(kept[keepLimit...]))
            kept.removeSubrange(keepLimit...)
        }
        private(set) var failure: WorkflowError?
        private(set) var builder: Differ.Builder?
        private(set) var resolveDiagnostics = DiagnosticCollector()
        private(set) var kept: [Company<ResolvedSecret>] = []
        private(set) var keptLoaded: [LoadedCompany] = []

        /// The store, read once (waits for the read started with the workspace).
        func store(_ prefetch: StorePrefetch) -> OpenedStore? {
            if opened == nil && failure == nil {
                do {
                    opened = try prefetch.take()
                } catch {
                    failure = error
                }
            }
            return opened
        }

        /// References written in company files, with the first company that used each.
        private var desiredReferences: [String: String] = [:]

        /// A secret belongs to one company: a reference the store records for
        /// one company, or that another company's file already names, is
        /// refused for this one (files inside the workspace too: `init`'s
        /// `secrets/` is git-ignored, its files are the runner's, not the
        /// repository's; links are resolved, so a link to another company's
        /// file is that file). Shared by design: a reference read through a
        /// profile, and those the trusted workspace lists in `secrets.shared`.
        func checkReach(_ companies: [Company<ResolvedSecret>], loaded: [LoadedCompany], opened: OpenedStore, files: SourceFiles,
                        shared: Set<String>) {
            for company in companies {
                _ = company.mapSecrets { path, secret -> Int in
                    guard !shared.contains(secret.canonical) else { return 0 }
                    // A profile's references are fenced to the profile (its own
                    // variables, secrets.dirs/_NAME, shared files) and go only
                    // with its own server settings (CompanyLoader).
                    if secret.fromProfile { return 0 }
                    let owner = opened.referenceOwners[secret.canonical] ?? desiredReferences[secret.canonical]
                    if let owner, owner != company.id {
                        let recorded = opened.referenceOwners[secret.canonical] != nil
                        resolveDiagnostics.report(.error(
                            "secret reference \(SafeText.escape(secret.reference.description)) is \(recorded ? "recorded in the store for" : "used by") company \(SafeText.escape(owner)); one company may not use another company's secret",
                            at: files.location(secret.reference.mark),
                            hint: "give company \(SafeText.escape(company.id)) a secret of its own (a variable MAILFORM_\(SecretOwner.envForm(company.id))__…, or a file of its own)",
                            rule: "secret-owner"))
                    } else if owner == nil {
                        desiredReferences[secret.canonical] = company.id
                    }
                    return 0
                }
            }
        }

        func consume(_ batch: [LoadedCompany], context: CompanyLoader.BatchContext, environment: [String: String],
                     filter: ((String) -> Bool)?, keepsMarks: Bool) {
            guard failure == nil, let opened else { return }
            // --company: only the planned companies' secrets are read; a
            // plan never fails on a secret of a company it does not plan
            // (their files are still validated by the loader).
            let batch = filter.map { f in batch.filter { f($0.company.id) } } ?? batch
            guard !batch.isEmpty else { return }
            let resolver = Resolver(workspace: context.workspace, files: context.files, environment: environment, owners: context.owners,
                                    companyOwners: context.companyOwners, ownersIncludeCompanies: true)
            let resolved = resolver.resolve(batch, diagnostics: &resolveDiagnostics, referencesOnly: opened.snapshot != nil)
            checkReach(resolved, loaded: batch, opened: opened, files: context.files, shared: context.workspace.sharedSecrets)
            // Every company is still resolved, so every unreadable secret is
            // reported; the diff stops at the first.
            guard !resolveDiagnostics.hasErrors else { return }
            // Taken out while it grows, so its arrays are not copied per batch.
            var builder = self.builder ?? Differ.Builder(current: opened.summaries, scope: filter)
            self.builder = nil
            defer { self.builder = builder }
            do {
                let changed = try Reconciler.add(resolved, to: &builder, opened: opened)
                if opened.snapshot == nil {
                    // Only a stored company whose references differ (a digest
                    // per company) is looked at again, reference by reference.
                    let differing = resolved.filter { company in
                        guard filter?(company.id) ?? true, let stored = opened.summaries[company.id]?.references else { return false }
                        return StoredSummary.referencesDigest(company.secretPairs { $0.canonical }) != stored
                    }
                    if !differing.isEmpty {
                        references += try Reconciler.references(of: differing, box: fingerprintsReferences ? opened.box : nil)
                    }
                }
                for index in changed where keepLimit != 0 {
                    kept.append(resolved[index])
                    if keepsMarks { keptLoaded.append(batch[index]) }
                }
                try release()
            } catch {
                failure = .wrapping(error)
            }
        }
    }
}

import Foundation
import MailformCore

/// `apply FILE`, up to the probe: reads a saved plan, verifies its MAC with
/// the store key, re-validates the desired settings it carries (schema,
/// policy, ids, paths, fences, under the workspace at hand), re-resolves the
/// secrets, recomputes the diff against the store and refuses when it differs
/// from the changes the plan recorded. What apply then shows, probes and
/// writes is the recomputed plan, never the file's own description of itself.
public enum SavedPlanCheck {
    /// A saved plan that may be applied.
    public struct Prepared: Sendable {
        public var plan: Plan
        /// The settings to write: held, or read again from the plan file
        /// (and checked again) chunk by chunk as they are written.
        public var desired: DesiredCompanies
        /// Every desired company, when `holdsAll` (the probe needs them).
        public var companies: [Company<ResolvedSecret>]
        /// `sha256:` of the plan: names it in the revision log.
        public var digest: String
        /// The store the plan names (or may create).
        public var storeID: String?
        public var opened: OpenedStore
        public var workspace: Workspace
        /// Warnings of the workspace files (a PR's mailform.yaml ignored for a trusted one).
        public var warnings: [Diagnostic] = []
    }

    /// Why a saved plan is refused; nothing is written in any case.
    public enum Refusal: MailformError, Sendable {
        /// The desired settings fail validation, located in the plan file.
        case invalid([Diagnostic])
        /// The file is unreadable, tampered with, or does not match what it carries.
        case refused(String, hint: String?, code: ErrorCode = .planRefused)
        /// The store or a secret changed since the plan was made.
        case stale(String)

        public var code: ErrorCode {
            switch self {
            case .invalid: .invalidInput
            case .refused(_, _, let code): code
            case .stale: .planStale
            }
        }

        public var message: String {
            switch self {
            case .invalid(let diagnostics): PlannedCompanyCheck.Problems(diagnostics: diagnostics).message
            case .refused(let message, _, _), .stale(let message): message
            }
        }

        public var hint: String? {
            if case .refused(_, let hint, _) = self { return hint }
            return nil
        }

        public var description: String { message }
    }

    /// The largest plan file of format 2 (read whole).
    public static let maxFileSize = 1 << 30
    /// Changes a format-3 plan is checked and recomputed in at a time.
    static let chunk = 512

    static let macHint = "a saved plan is signed with a key derived from the store key; only 'mailform plan --out' with that key makes one"

    /// - Parameters:
    ///   - file: the plan file (absolute); `label` is how messages name it.
    ///   - workspaceOverride: `--workspace`; else the workspace the plan recorded, else one above the file.
    ///   - holdsAll: keep every desired company in memory (`companies`);
    ///     without, a plan of format 3 reads them again as they are written.
    /// - Throws: ``Refusal`` when the file is not a plan, its MAC does not verify, or it does not fit the workspace or the store; nothing is written then.
    public static func prepare(file: String, label: String, workspaceOverride: String?, options: WorkspaceLoader.Options,
                               lockTimeout: TimeInterval, holdsAll: Bool = true) throws -> Prepared {
        let real = Paths.real(file)
        if SavedPlanReader.isLines(real) {
            return try prepareLines(real, label: label, workspaceOverride: workspaceOverride, options: options, lockTimeout: lockTimeout,
                                    holdsAll: holdsAll)
        }
        let bytes: [UInt8]
        switch SafeFile.read(real, limit: maxFileSize) {
        case .success(let read): bytes = read
        case .failure(let problem): throw Refusal.refused("\(label) \(problem.message)", hint: nil)
        }
        let data = Data(bytes)
        let unverified: SavedPlan
        do { unverified = try SavedPlan.decode(data, path: label) } catch let refusal as SavedPlan.Refusal {
            throw Refusal.refused(refusal.description, hint: nil, code: refusal.code)
        }
        let context = try Context.open(file: file, label: label, workspaceFile: unverified.workspace_file, storeID: unverified.store_id,
                                       createsStore: unverified.creates_store, workspaceOverride: workspaceOverride, options: options,
                                       lockTimeout: lockTimeout)
        let saved: SavedPlan
        do { saved = try SavedPlan.read(data, path: label, authenticate: context.opened.box.planMAC) } catch let refusal as SavedPlan.Refusal {
            throw Refusal.refused(refusal.description, hint: refusal.code == .planSignature ? macHint : nil, code: refusal.code)
        }
        try context.checkStore(storeID: saved.store_id, createsStore: saved.creates_store)
        let checker = try Checker(context, label: label, salt: saved.fingerprint_salt ?? "", planStoreID: saved.store_id,
                                  companyIDs: saved.changes.map(\.company))
        var desired: [String: Company<ResolvedSecret>] = [:]
        var seen = Set<String>()
        for change in saved.changes {
            guard seen.insert(change.company).inserted else {
                throw Refusal.refused("\(label) lists company \(SafeText.escape(change.company)) twice; run plan again", hint: nil)
            }
        }
        for company in try checker.checkAll(saved.changes) { if let company { desired[company.id] = company } }
        try checker.throwProblems()
        // Recompute the diff for exactly the companies the plan names.
        var plan = try recompute(Array(desired.values), ids: seen, recorded: saved.changes, opened: context.opened)
        plan.baseRevisions = saved.base_revisions
        plan.unmanaged = saved.unmanaged
        plan.unchangedCount = saved.unchanged_count
        return Prepared(plan: plan, desired: .held(desired), companies: Array(desired.values), digest: saved.digest, storeID: saved.store_id,
                        opened: context.opened, workspace: context.workspace, warnings: context.warnings)
    }

    /// Format 3: verified in one pass over the file, then checked and
    /// recomputed a chunk of changes at a time; the settings are read again
    /// from the file (each line checked against the first pass) as they are
    /// written, unless `holdsAll`.
    static func prepareLines(_ real: String, label: String, workspaceOverride: String?, options: WorkspaceLoader.Options,
                             lockTimeout: TimeInterval, holdsAll: Bool) throws -> Prepared {
        let reader: SavedPlanReader
        let context: Context
        do {
            let unverified = try SavedPlanReader.peekHeader(real, label: label)
            context = try Context.open(file: real, label: label, workspaceFile: unverified.workspace_file, storeID: unverified.store_id,
                                       createsStore: unverified.creates_store, workspaceOverride: workspaceOverride, options: options,
                                       lockTimeout: lockTimeout)
            reader = try SavedPlanReader(path: real, label: label, mac: context.opened.box.planMACStream())
        } catch let refusal as SavedPlanReader.Refusal {
            throw Refusal.refused(refusal.description, hint: refusal.code == .planSignature ? macHint : nil, code: refusal.code)
        }
        let header = reader.header
        try context.checkStore(storeID: header.store_id, createsStore: header.creates_store)
        // Company ids first (a company's secrets are fenced from every other's).
        let ids = header.change_ids
        guard ids.count == reader.count else {
            throw Refusal.refused("\(label) names \(ids.count) companies for \(reader.count) changes; run plan again", hint: nil)
        }
        var lineOf: [String: Int] = [:]
        lineOf.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() {
            guard lineOf.updateValue(i, forKey: id) == nil else {
                throw Refusal.refused("\(label) lists company \(SafeText.escape(id)) twice; run plan again", hint: nil)
            }
        }
        let checker = try Checker(context, label: label, salt: header.fingerprint_salt ?? "", planStoreID: header.store_id, companyIDs: ids)
        var changes: [CompanyChange] = []
        var held: [String: Company<ResolvedSecret>] = [:]
        // The digest of each checked company: read again to be written, a
        // company must be exactly what was checked.
        var digests: [String: FieldsDigest] = [:]
        let box = context.opened.box
        try eachChunk(reader) { range, recorded in
            for (k, change) in recorded.enumerated() where change.company != ids[range.lowerBound + k] {
                throw Refusal.refused("\(label) line \(range.lowerBound + k + 2) is company \(SafeText.escape(change.company)), where its header names \(SafeText.escape(ids[range.lowerBound + k])); run plan again", hint: nil)
            }
            var desired: [Company<ResolvedSecret>] = []
            for company in try checker.checkAll(recorded) {
                if let company { desired.append(company) }
            }
            if !holdsAll {
                let made = Parallel.map(desired.count) { i in Result { try Reconciler.digest(desired[i], box: box) } }
                for (company, digest) in zip(desired, made) { digests[company.id] = try digest.get() }
            }
            // Problems are gathered over every chunk; nothing is recomputed after the first.
            guard !checker.hasProblems else { return }
            let plan = try recompute(desired, ids: Set(recorded.map(\.company)), recorded: recorded, opened: context.opened)
            changes += plan.changes
            if holdsAll { for company in desired { held[company.id] = company } }
        }
        try checker.throwProblems()
        changes.sort { $0.id < $1.id }
        let plan = SavedPlanLines.plan(header, changes: changes)
        var desired = DesiredCompanies.held(held)
        if !holdsAll {
            let lineOf = lineOf, digests = digests
            desired = .reloaded(held: [:], reloadable: Set(digests.keys), reload: { wanted in
                // Read again (each line's bytes those the first pass read)
                // and resolved again: a secret changed since is stale, and a
                // company that is not what was checked is not written.
                var changes: [SavedPlan.Change] = []
                for index in wanted.compactMap({ lineOf[$0] }).sorted() { changes += try reader.changes(index..<(index + 1)) }
                let companies = try checker.reloadAll(changes, digests: digests)
                try checker.throwProblems()
                return companies
            })
        }
        return Prepared(plan: plan, desired: desired, companies: holdsAll ? Array(held.values) : [], digest: reader.digest,
                        storeID: header.store_id, opened: context.opened, workspace: context.workspace, warnings: context.warnings)
    }

    /// The change lines in chunks.
    static func eachChunk(_ reader: SavedPlanReader, _ body: (Range<Int>, [SavedPlan.Change]) throws -> Void) throws {
        for start in stride(from: 0, to: reader.count, by: chunk) {
            let range = start..<min(start + chunk, reader.count)
            let changes: [SavedPlan.Change]
            do { changes = try reader.changes(range) } catch let refusal as SavedPlanReader.Refusal {
                throw Refusal.refused(refusal.description, hint: nil, code: refusal.code)
            }
            try body(range, changes)
        }
    }

    /// The diff of these companies against the store, which must be the one recorded.
    static func recompute(_ desired: [Company<ResolvedSecret>], ids: Set<String>, recorded: [SavedPlan.Change],
                          opened: OpenedStore) throws -> Plan {
        let plan: Plan
        do {
            plan = try Reconciler.plan(desired: desired, opened: opened, filter: { ids.contains($0) }, prune: true)
        } catch {
            throw Refusal.refused("cannot compute the plan: \(error)", hint: nil, code: ReportedError(error).code)
        }
        if let difference = difference(recorded: recorded, recomputed: plan) { throw difference }
        return plan
    }

    /// The workspace and the store a saved plan is applied with.
    struct Context {
        var workspace: Workspace
        var files: SourceFiles
        var opened: OpenedStore
        var warnings: [Diagnostic]
        var label: String
        var environment: [String: String]

        static func open(file: String, label: String, workspaceFile recordedName: String?, storeID: String?, createsStore: Bool?,
                         workspaceOverride: String?, options: WorkspaceLoader.Options, lockTimeout: TimeInterval) throws -> Context {
            // The workspace: --workspace, else the one the plan was made with
            // (relative to the current folder, as plan ran), else one above
            // the file. The plan's header is not verified yet (its MAC needs
            // the key of the store the workspace names), so the name it
            // records is read only when it is a workspace file's name
            // (mailform.yaml), and what that file says is not shown before the
            // plan verifies: a forged header cannot make apply read, or
            // print, another file.
            // …and only below the current folder: a forged header naming an
            // absolute path (another workspace, its store and its key) is
            // not followed; --workspace names one anywhere.
            let recorded = recordedName.flatMap { name -> String? in
                guard !name.hasPrefix("/"), !name.split(separator: "/").contains(".."),
                      WorkspaceLoader.fileNames.contains((name as NSString).lastPathComponent) else { return nil }
                let absolute = Paths.absolute(name)
                return Paths.exists(absolute) && Paths.isInside(Paths.real(absolute), Paths.real(Paths.currentDirectory)) ? absolute : nil
            }
            let workspaceFile = workspaceOverride.map { WorkspaceLoader.find(paths: [], override: $0) }
                ?? recorded ?? WorkspaceLoader.find(paths: [Paths.directory(of: file)], override: nil)
            if let recordedName, workspaceFile == nil {
                throw Refusal.refused("the plan was made with the workspace \(SafeText.escape(recordedName)), which is not here",
                                      hint: "run apply from the folder plan ran in, or name the workspace with --workspace")
            }
            let files = SourceFiles()
            var diagnostics = DiagnosticCollector()
            let workspace = WorkspaceLoader.load(file: workspaceFile, files: files, diagnostics: &diagnostics, options: options)
            if diagnostics.hasErrors {
                // Chosen by --workspace: the operator's own file, shown whole.
                if workspaceOverride != nil { throw Refusal.invalid(diagnostics.sorted) }
                throw Refusal.refused("the workspace file \(SafeText.escape(Paths.display(workspaceFile ?? ""))) does not load (\(diagnostics.errorCount) error\(diagnostics.errorCount == 1 ? "" : "s")); nothing was written",
                                      hint: "run 'mailform validate' in the workspace to see why, or name the workspace with --workspace")
            }
            let path = StoreLocation.resolve(flag: options.storeFlag, workspace: workspace, environment: options.environment)
            if storeID != nil && createsStore != true && !StoreLocation.isURL(path) && !Paths.exists(path) {
                throw Refusal.stale("stale plan: the plan was made against a store that is not at \(Paths.display(path)); run plan again")
            }
            let opened: OpenedStore
            do {
                opened = try Reconciler.openStore(path: path, createStore: false, lockTimeout: lockTimeout, environment: options.environment)
            } catch let failure as Reconciler.Failure {
                throw Refusal.refused(failure.description, hint: nil, code: failure.code)
            }
            return Context(workspace: workspace, files: files, opened: opened,
                           warnings: diagnostics.sorted.filter { $0.severity != .error }, label: label, environment: options.environment)
        }

        /// A plan names its store; one made before the store existed names
        /// the store it may create, and applies only while there is none.
        func checkStore(storeID: String?, createsStore: Bool?) throws {
            if opened.store == nil ? (storeID == nil || createsStore != true) : storeID != opened.storeID {
                let why = opened.store == nil ? " (it names no store to create, and none exists here)"
                    : createsStore == true ? " (it was made before any store existed, and a store exists here now)" : ""
                throw Refusal.stale("stale plan: the plan was made against another store\(why); run plan again")
            }
        }
    }

    /// Re-validates and re-resolves the desired settings of one change at a
    /// time, gathering problems (invalid settings, secrets changed since).
    final class Checker: @unchecked Sendable {
        let context: Context
        let label: String
        let salt: String
        let storeID: String?
        let resolver: SecretResolver
        let scratch: PlannedCompanyCheck.Scratch
        private let lock = NSLock()
        private(set) var invalid: [Diagnostic] = []
        private(set) var stale: [String] = []
        static let tmpdirHint = "free space in TMPDIR, or set TMPDIR to another folder"

        /// - Parameter planStoreID: the store the plan names (fingerprints
        ///   are bound to it; a plan made before the store names the one it creates).
        init(_ context: Context, label: String, salt: String, planStoreID: String?, companyIDs: [String]) throws {
            self.context = context
            self.label = label
            self.salt = salt
            storeID = context.opened.storeID ?? planStoreID
            let companyOwners = Set(companyIDs.map(SecretOwner.envForm)).union(context.opened.summaries.keys.map(SecretOwner.envForm))
            let owners = Set(SavedPlanCheck.profileNames(context.workspace).map(SecretOwner.envForm))
            resolver = SecretResolver(workspace: context.workspace, environment: context.environment, owners: owners,
                                      companyOwners: companyOwners)
            do { scratch = try PlannedCompanyCheck.Scratch() } catch {
                throw Refusal.refused("\(error); nothing was written", hint: Self.tmpdirHint)
            }
        }

        var hasProblems: Bool { lock.withLock { !invalid.isEmpty || !stale.isEmpty } }

        func throwProblems() throws {
            let (invalid, stale) = lock.withLock { (self.invalid, self.stale) }
            if !invalid.isEmpty { throw Refusal.invalid(invalid) }
            if !stale.isEmpty { throw Refusal.stale("stale plan: " + stale.joined(separator: "; ") + "; run plan again") }
        }

        /// `check` of each change, on every core; problems are gathered in
        /// the changes' order.
        func checkAll(_ changes: [SavedPlan.Change]) throws -> [Company<ResolvedSecret>?] {
            let results = Parallel.map(changes.count) { i in Result { try self.check(changes[i]) } }
            var out: [Company<ResolvedSecret>?] = []
            out.reserveCapacity(changes.count)
            for result in results {
                let checked = try result.get()
                lock.withLock {
                    invalid += checked.invalid
                    stale += checked.stale
                }
                out.append(checked.company)
            }
            return out
        }

        /// Companies read again to be written: each line's bytes are those
        /// checked, so its settings are taken as they are and their secrets
        /// resolved again; one whose digest is not the checked one's (a logo
        /// whose media type the check corrected) goes through the whole check,
        /// and must then have it.
        func reloadAll(_ changes: [SavedPlan.Change], digests: [String: FieldsDigest]) throws -> [String: Company<ResolvedSecret>] {
            let box = context.opened.box
            let results = Parallel.map(changes.count) { i -> Result<Checked, Error> in
                Result {
                    let change = changes[i]
                    guard let expected = digests[change.company] else { return Checked() }
                    if let quick = try self.quick(change), quick.company.map({ try? Reconciler.digest($0, box: box) }) == expected {
                        return quick
                    }
                    var full = try self.check(change)
                    if let company = full.company, (try? Reconciler.digest(company, box: box)) != expected {
                        full.company = nil
                        full.stale.append("company \(change.company) is not what the plan's check found")
                    }
                    return full
                }
            }
            var out: [String: Company<ResolvedSecret>] = [:]
            for result in results {
                let checked = try result.get()
                lock.withLock {
                    invalid += checked.invalid
                    stale += checked.stale
                }
                if let company = checked.company { out[company.id] = company }
            }
            return out
        }

        /// The settings as the plan holds them, with their secrets resolved
        /// (nil when they do not convert; the whole check then decides).
        func quick(_ change: SavedPlan.Change) throws -> Checked? {
            let workspace = context.workspace
            guard let document = change.desired, let planned = try? document.settings(), planned.id == change.company else { return nil }
            var unusable = false
            var changed: [String] = []
            let resolved = planned.mapSecrets { fieldPath, secret -> ResolvedSecret in
                let origin = Paths.absolute(secret.origin, relativeTo: workspace.root)
                guard let reference = SecretReference(parsing: secret.reference) else {
                    unusable = true
                    return ResolvedSecret(reference: SecretReference(kind: .env("INVALID")), secret: Secret(""), origin: origin, canonical: "")
                }
                let again = resolveAgain(reference, origin: origin, path: fieldPath, company: change.company, planned: secret.fingerprint)
                if again.failure != nil { unusable = true }
                if let stale = again.changed { changed.append(stale) }
                return again.secret
            }
            if unusable { return nil }
            return Checked(company: changed.isEmpty ? resolved : nil, stale: changed)
        }

        /// A secret of the plan read again: its value (empty when it cannot
        /// be read, with the located problem), and whether its fingerprint is
        /// no longer the one the plan recorded.
        func resolveAgain(_ reference: SecretReference, origin: String, path: String, company: String,
                          planned: String?) -> (secret: ResolvedSecret, changed: String?, failure: Diagnostic?) {
            let workspace = context.workspace
            let canonical = reference.canonical(origin: origin, workspaceRoot: workspace.root)
            let owner = resolver.owner(ofFile: origin, company: company)
            switch resolver.resolve(reference, referencedFrom: origin, owner: owner) {
            case .success(let secret):
                let fingerprint = try? context.opened.box.planFingerprint(secret, store: storeID, company: company, path: path, salt: salt)
                let changed = fingerprint == nil || fingerprint != planned ? "secret \(path) of company \(company) changed since the plan" : nil
                return (ResolvedSecret(reference: reference, secret: secret, origin: origin, canonical: canonical), changed, nil)
            case .failure(let problem):
                let failure = Diagnostic.error("company \(SafeText.escape(company)) \(path): \(problem.message)",
                                               at: SourceLocation(file: label, line: 1, column: 1),
                                               hint: problem.hint(workspace: workspace, owner: owner), rule: problem.rule)
                return (ResolvedSecret(reference: reference, secret: Secret(""), origin: origin, canonical: canonical), nil, failure)
            }
        }

        struct Checked {
            var company: Company<ResolvedSecret>?
            var invalid: [Diagnostic] = []
            var stale: [String] = []
        }

        /// The company to write (nil for a deletion or a problem), and the problems.
        func check(_ change: SavedPlan.Change) throws -> Checked {
            let workspace = context.workspace
            guard let document = change.desired else {
                if change.action != .delete {
                    throw Refusal.refused("\(label) holds no settings for company \(SafeText.escape(change.company)); run plan again", hint: nil)
                }
                return Checked()
            }
            let checked = PlannedCompanyCheck.check(document, expectedID: change.company, workspace: workspace, files: context.files, label: label,
                                                    scratch: scratch)
            if let failure = scratch.failure { throw Refusal.refused(failure + "; nothing was written", hint: Self.tmpdirHint) }
            switch checked {
            case .failure(let problems):
                return Checked(invalid: problems.diagnostics)
            case .success(let checked):
                var plannedSecrets: [String: PlannedSecret] = [:]
                if let planned = try? document.settings() {
                    _ = planned.mapSecrets { path, secret -> Int in plannedSecrets[path] = secret; return 0 }
                }
                var problems: [Diagnostic] = []
                var changed: [String] = []
                let resolved = checked.company.mapSecrets { fieldPath, reference -> ResolvedSecret in
                    let again = resolveAgain(reference, origin: checked.origins[fieldPath] ?? workspace.root, path: fieldPath,
                                             company: change.company, planned: plannedSecrets[fieldPath]?.fingerprint)
                    if let failure = again.failure { problems.append(failure) }
                    if let stale = again.changed { changed.append(stale) }
                    return again.secret
                }
                return Checked(company: problems.isEmpty && changed.isEmpty ? resolved : nil, invalid: problems, stale: changed)
            }
        }
    }

    static func profileNames(_ workspace: Workspace) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workspace.profilesDirectory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.map { ($0 as NSString).deletingPathExtension }
    }

    /// The first way the recomputed plan differs from the recorded one.
    static func difference(recorded changes: [SavedPlan.Change], recomputed: Plan) -> Refusal? {
        let byID = Dictionary(recomputed.changes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for change in changes {
            let id = SafeText.escape(change.company)
            guard let now = byID[change.company] else {
                return .stale("stale plan: company \(id) no longer needs the change the plan recorded; run plan again")
            }
            if now.baseRevision != change.base_revision || now.action != change.action {
                return .stale("stale plan: company \(id) changed since the plan (company revision \(change.base_revision) -> \(now.baseRevision)); run plan again")
            }
            let recorded = change.fields.map { field in
                "\(field.path)|\(field.action)|\(field.sensitive)|\(field.current ?? "")|\(field.desired ?? "")|\(field.desired_reference ?? "")"
            }
            let actual = now.fields.map { field -> String in
                let action = field.current == nil ? "add" : field.desired == nil ? "delete" : "change"
                let current = field.sensitive ? "" : field.current?.display ?? ""
                let desired = field.sensitive ? "" : field.desired?.display ?? ""
                let reference = field.sensitive ? field.desired?.reference ?? "" : ""
                return "\(field.path)|\(action)|\(field.sensitive)|\(current)|\(desired)|\(reference)"
            }
            if recorded != actual {
                let shown = Set(recorded).symmetricDifference(actual).compactMap { $0.split(separator: "|").first.map(String.init) }
                return .refused("\(SafeText.escape(change.company)): the settings the plan carries would change \(Set(shown).sorted().map(SafeText.escape).joined(separator: ", ")), which differs from the changes it shows; nothing was written",
                                hint: "the plan file was edited or made by another mailform; run plan again")
            }
        }
        if recomputed.changes.count != changes.count {
            return .refused("the plan's settings change more companies than it shows; nothing was written", hint: "run plan again")
        }
        return nil
    }
}

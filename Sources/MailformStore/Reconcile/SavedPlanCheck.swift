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
        public var desired: [String: Company<ResolvedSecret>]
        public var saved: SavedPlan
        public var opened: OpenedStore
        public var workspace: Workspace
        /// Warnings of the workspace files (a PR's mailform.yaml ignored for a trusted one).
        public var warnings: [Diagnostic] = []
    }

    /// Why a saved plan is refused; nothing is written in any case.
    public enum Refusal: Error, Sendable {
        /// The desired settings fail validation, located in the plan file.
        case invalid([Diagnostic])
        /// The file is unreadable, tampered with, or does not match what it carries.
        case refused(String, hint: String?)
        /// The store or a secret changed since the plan was made.
        case stale(String)
    }

    public static let maxFileSize = 1 << 30

    /// - Parameters:
    ///   - file: the plan file (absolute); `label` is how messages name it.
    ///   - workspaceOverride: `--workspace`; else the workspace the plan recorded, else one above the file.
    public static func prepare(file: String, label: String, workspaceOverride: String?, options: WorkspaceLoader.Options,
                               lockTimeout: TimeInterval) throws -> Prepared {
        let bytes: [UInt8]
        switch SafeFile.read(Paths.real(file), limit: maxFileSize) {
        case .success(let read): bytes = read
        case .failure(let problem): throw Refusal.refused("\(label) \(problem.message)", hint: nil)
        }
        let data = Data(bytes)
        let unverified: SavedPlan
        do { unverified = try SavedPlan.decode(data, path: label) } catch let refusal as SavedPlan.Refusal {
            throw Refusal.refused(refusal.description, hint: nil)
        }

        // The workspace: --workspace, else the one the plan was made with
        // (relative to the current folder, as plan ran), else one above the file.
        let recorded = unverified.workspace_file.map { Paths.absolute($0) }.flatMap { Paths.exists($0) ? $0 : nil }
        let workspaceFile = workspaceOverride.map { WorkspaceLoader.find(paths: [], override: $0) }
            ?? recorded ?? WorkspaceLoader.find(paths: [Paths.directory(of: file)], override: nil)
        if let recordedName = unverified.workspace_file, workspaceFile == nil {
            throw Refusal.refused("the plan was made with the workspace \(SafeText.escape(recordedName)), which is not here",
                                  hint: "run apply from the folder plan ran in, or name the workspace with --workspace")
        }
        let files = SourceFiles()
        var diagnostics = DiagnosticCollector()
        let workspace = WorkspaceLoader.load(file: workspaceFile, files: files, diagnostics: &diagnostics, options: options)
        if diagnostics.hasErrors { throw Refusal.invalid(diagnostics.sorted) }

        let path = StoreLocation.resolve(flag: options.storeFlag, workspace: workspace, environment: options.environment)
        if unverified.store_id != nil && unverified.creates_store != true && !Paths.exists(path) {
            throw Refusal.stale("stale plan: the plan was made against a store that is not at \(Paths.display(path)); run plan again")
        }
        let opened: OpenedStore
        do {
            opened = try Reconciler.openStore(path: path, createStore: false, lockTimeout: lockTimeout, environment: options.environment)
        } catch let failure as Reconciler.Failure {
            throw Refusal.refused(failure.description, hint: nil)
        }
        let saved: SavedPlan
        do { saved = try SavedPlan.read(data, path: label, authenticate: opened.box.planMAC) } catch let refusal as SavedPlan.Refusal {
            throw Refusal.refused(refusal.description, hint: "a saved plan is signed with a key derived from the store key; only 'mailform plan --out' with that key makes one")
        }
        // A plan names its store; one made before the store existed names
        // the store it may create, and applies only while there is none.
        if opened.store == nil ? (saved.store_id == nil || saved.creates_store != true) : saved.store_id != opened.storeID {
            let why = opened.store == nil ? " (it names no store to create, and none exists here)"
                : saved.creates_store == true ? " (it was made before any store existed, and a store exists here now)" : ""
            throw Refusal.stale("stale plan: the plan was made against another store\(why); run plan again")
        }
        let storeID = opened.storeID ?? saved.store_id

        // Re-validate and re-resolve every desired company the plan carries.
        let companyOwners = Set(saved.changes.map { SecretOwner.envForm($0.company) }).union(opened.summaries.keys.map(SecretOwner.envForm))
        let owners = Set(profileNames(workspace).map(SecretOwner.envForm))
        let resolver = SecretResolver(workspace: workspace, environment: options.environment, owners: owners, companyOwners: companyOwners)
        var invalid: [Diagnostic] = []
        var stale: [String] = []
        var desired: [String: Company<ResolvedSecret>] = [:]
        var seen = Set<String>()
        let scratch: PlannedCompanyCheck.Scratch
        let tmpdirHint = "free space in TMPDIR, or set TMPDIR to another folder"
        do { scratch = try PlannedCompanyCheck.Scratch() } catch {
            throw Refusal.refused("\(error); nothing was written", hint: tmpdirHint)
        }
        for change in saved.changes {
            guard seen.insert(change.company).inserted else {
                throw Refusal.refused("\(label) lists company \(SafeText.escape(change.company)) twice; run plan again", hint: nil)
            }
            guard let document = change.desired else {
                if change.action != .delete {
                    throw Refusal.refused("\(label) holds no settings for company \(SafeText.escape(change.company)); run plan again", hint: nil)
                }
                continue
            }
            let checked = PlannedCompanyCheck.check(document, expectedID: change.company, workspace: workspace, files: files, label: label,
                                                    scratch: scratch)
            if let failure = scratch.failure { throw Refusal.refused(failure + "; nothing was written", hint: tmpdirHint) }
            switch checked {
            case .failure(let problems):
                invalid += problems.diagnostics
            case .success(let checked):
                var plannedSecrets: [String: PlannedSecret] = [:]
                if let planned = try? document.settings() {
                    _ = planned.mapSecrets { path, secret -> Int in plannedSecrets[path] = secret; return 0 }
                }
                var problems: [Diagnostic] = []
                let resolved = checked.company.mapSecrets { fieldPath, reference -> ResolvedSecret in
                    let origin = checked.origins[fieldPath] ?? workspace.root
                    let owner = resolver.owner(ofFile: origin, company: change.company)
                    switch resolver.resolve(reference, referencedFrom: origin, owner: owner) {
                    case .success(let secret):
                        let fingerprint = try? opened.box.planFingerprint(secret, store: storeID, company: change.company,
                                                                         path: fieldPath, salt: saved.fingerprint_salt ?? "")
                        if fingerprint == nil || fingerprint != plannedSecrets[fieldPath]?.fingerprint {
                            stale.append("secret \(fieldPath) of company \(change.company) changed since the plan")
                        }
                        return ResolvedSecret(reference: reference, secret: secret, origin: origin,
                                              canonical: reference.canonical(origin: origin, workspaceRoot: workspace.root))
                    case .failure(let problem):
                        problems.append(.error("company \(SafeText.escape(change.company)) \(fieldPath): \(problem.message)",
                                               at: SourceLocation(file: label, line: 1, column: 1),
                                               hint: problem.hint(workspace: workspace, owner: owner), rule: problem.rule))
                        return ResolvedSecret(reference: reference, secret: Secret(""), origin: origin,
                                              canonical: reference.canonical(origin: origin, workspaceRoot: workspace.root))
                    }
                }
                if problems.isEmpty { desired[change.company] = resolved } else { invalid += problems }
            }
        }
        if !invalid.isEmpty { throw Refusal.invalid(invalid) }
        if !stale.isEmpty { throw Refusal.stale("stale plan: " + stale.joined(separator: "; ") + "; run plan again") }

        // Recompute the diff for exactly the companies the plan names.
        let ids = seen
        var plan: Plan
        do {
            plan = try Reconciler.plan(desired: Array(desired.values), opened: opened, filter: { ids.contains($0) }, prune: true)
        } catch {
            throw Refusal.refused("cannot compute the plan: \(error)", hint: nil)
        }
        if let difference = difference(saved: saved, recomputed: plan) {
            throw difference
        }
        plan.baseRevisions = saved.base_revisions
        plan.unmanaged = saved.unmanaged
        plan.unchangedCount = saved.unchanged_count
        return Prepared(plan: plan, desired: desired, saved: saved, opened: opened, workspace: workspace,
                        warnings: diagnostics.sorted.filter { $0.severity != .error })
    }

    static func profileNames(_ workspace: Workspace) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: workspace.profilesDirectory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.map { ($0 as NSString).deletingPathExtension }
    }

    /// The first way the recomputed plan differs from the recorded one.
    static func difference(saved: SavedPlan, recomputed: Plan) -> Refusal? {
        let byID = Dictionary(recomputed.changes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for change in saved.changes {
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
        if recomputed.changes.count != saved.changes.count {
            return .refused("the plan's settings change more companies than it shows; nothing was written", hint: "run plan again")
        }
        return nil
    }
}

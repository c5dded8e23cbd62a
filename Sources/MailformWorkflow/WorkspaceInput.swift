import Foundation
import MailformCore
import MailformStore

/// What every reconciling command reads: paths, the workspace, the trusted
/// workspace file and the store flag.
public struct WorkspaceInput: Sendable {
    public var paths: [String]
    public var workspace: String?
    public var trustedWorkspace: String?
    public var storeFlag: String?
    public var lockTimeout: TimeInterval
    public var environment: [String: String]
    /// Files loaded and planned at a time (`Stages.defaultBatchSize`).
    public var batchSize = Stages.defaultBatchSize
    /// `plan --snapshot FILE`: plan against this state snapshot; no store,
    /// no key and no secret value is read.
    public var snapshot: String?

    public init(paths: [String], workspace: String? = nil, trustedWorkspace: String? = nil, storeFlag: String? = nil,
                lockTimeout: TimeInterval = 10, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.paths = paths
        self.workspace = workspace
        self.trustedWorkspace = trustedWorkspace
        self.storeFlag = storeFlag
        self.lockTimeout = lockTimeout
        self.environment = environment
    }

    public var options: WorkspaceLoader.Options {
        WorkspaceLoader.Options(trusted: trustedWorkspace, storeFlag: storeFlag, paths: paths, environment: environment)
    }
}

/// The files, loaded and with their secrets resolved.
public struct Loaded: Sendable {
    public var result: LoadResult
    public var desired: [Company<ResolvedSecret>]
    /// Warnings of loading and resolving (errors stop the run instead).
    public var warnings: [Diagnostic]
}

/// The stages every reconciling command runs first.
public enum Stages {
    /// load → validate: every file; errors stop the run.
    /// - Throws: `WorkflowError`: `.invalid` with the located diagnostics, `.stopped` when the workspace cannot be read.
    public static func load(_ input: WorkspaceInput, onWorkspace: ((Workspace) -> Void)? = nil) throws(WorkflowError) -> LoadResult {
        let result = CompanyLoader.load(paths: input.paths, workspaceOverride: input.workspace, options: input.options,
                                        onWorkspace: onWorkspace)
        if result.diagnostics.hasErrors { throw .invalid(result.diagnostics, files: result.fileCount) }
        return result
    }

    /// A read-only store opened on another thread while the files load
    /// (the store read of a 10,000-company plan is an eighth of its time).
    /// Only for runs that write nothing: opening may create no file before
    /// the files are known to be valid.
    final class StorePrefetch: @unchecked Sendable {
        private let done = DispatchGroup()
        private var outcome: Result<OpenedStore, WorkflowError>?

        /// A store made by an older version: not opened (migrating writes,
        /// and nothing may be written before the files are known valid).
        private(set) var needsMigration = false

        /// - Parameter readOnly: a run that writes nothing (plan): the store
        ///   is opened read-only, and one made by an older version is refused.
        func start(path: String, lockTimeout: TimeInterval, environment: [String: String], readOnly: Bool = false,
                   snapshot: String? = nil) {
            done.enter()
            DispatchQueue.global().async {
                do {
                    if let snapshot {
                        self.outcome = Result { () throws(WorkflowError) in try Stages.openSnapshot(snapshot) }
                        self.done.leave()
                        return
                    }
                    self.outcome = .success(try Reconciler.openStore(path: path, createStore: false, createKey: false, lockTimeout: lockTimeout,
                                                                     environment: environment, migrate: false, readOnly: readOnly))
                } catch is Store.NeedsMigration {
                    self.needsMigration = true
                } catch let failure as Reconciler.Failure {
                    self.outcome = .failure(.wrapping(failure))
                } catch {
                    self.outcome = .failure(.wrapping(error))
                }
                self.done.leave()
            }
        }

        /// Whether the read is over (or was never started): `take()` would not wait.
        var isDone: Bool { done.wait(timeout: .now()) == .success }

        /// The store, once read (handed over: the prefetch keeps no
        /// reference, so the connection closes with its last user); nil
        /// when no read was started.
        func take() throws(WorkflowError) -> OpenedStore? {
            done.wait()
            defer { outcome = nil }
            return try outcome?.get()
        }

        /// Waits for a started read and closes it (the run stopped before
        /// using it): no thread may still be in SQLite when the process exits.
        func discard() {
            done.wait()
            outcome = nil
        }
    }

    /// resolve: reads the secrets. `storeIDs` are the company ids the store
    /// holds, so the env fence also keeps their variables from other companies.
    /// `only`, when given, selects the companies whose secrets are read
    /// (`--company`): no run fails on a secret of a company it does not use.
    /// - Throws: `WorkflowError.invalid` when a secret cannot be read or is fenced off.
    public static func resolve(_ result: LoadResult, storeIDs: some Sequence<String> = [],
                               environment: [String: String], only: ((String) -> Bool)? = nil) throws(WorkflowError) -> Loaded {
        var diagnostics = result.diagnostics
        let companies = result.companyOwners.union(storeIDs.map(SecretOwner.envForm))
        let resolver = Resolver(workspace: result.workspace, files: result.files, environment: environment,
                                owners: result.owners, companyOwners: companies)
        let chosen = only.map { keep in result.companies.filter { keep($0.company.id) } } ?? result.companies
        let desired = resolver.resolve(chosen, diagnostics: &diagnostics)
        if diagnostics.hasErrors { throw .invalid(diagnostics, files: result.fileCount) }
        return Loaded(result: result, desired: desired, warnings: diagnostics.sorted.filter { $0.severity != .error })
    }

    /// Reads a state snapshot (`mailform snapshot`) as the current side of a plan.
    /// - Throws: `.stopped` naming what is wrong with the file.
    public static func openSnapshot(_ path: String) throws(WorkflowError) -> OpenedStore {
        let absolute = Paths.absolute(path)
        let label = Paths.display(absolute)
        let bytes: [UInt8]
        switch SafeFile.read(Paths.real(absolute), limit: StateSnapshot.maxFileSize) {
        case .success(let read): bytes = read
        case .failure(let problem):
            throw .stopped(.snapshotRefused, "the snapshot \(SafeText.escape(label)) \(Paths.exists(absolute) ? problem.message : "does not exist"); nothing was planned",
                           hint: "write it on the trusted side with 'mailform snapshot --out FILE' and hand it to this job")
        }
        do {
            let snapshot = try StateSnapshot.read(bytes, label: label)
            return try Reconciler.open(snapshot: snapshot, path: absolute)
        } catch let refusal as StateSnapshot.Refusal {
            throw .stopped(.snapshotRefused, refusal.description + "; nothing was planned", hint: "write it again with 'mailform snapshot --out FILE'")
        } catch {
            throw .wrapping(error)
        }
    }

    /// Opens the store (see `Reconciler.openStore`).
    public static func openStore(path: String, create: Bool, createKey: Bool? = nil, lockTimeout: TimeInterval,
                                 environment: [String: String], readOnly: Bool = false,
                                 newStoreID: String? = nil) throws(WorkflowError) -> OpenedStore {
        do {
            return try Reconciler.openStore(path: path, createStore: create, createKey: createKey, lockTimeout: lockTimeout,
                                            environment: environment, readOnly: readOnly, newStoreID: newStoreID)
        } catch let failure as Reconciler.Failure {
            throw .wrapping(failure)
        } catch {
            throw .wrapping(error)
        }
    }

    /// The safety limits of the workspace (`--force` skips them).
    /// - Throws: `WorkflowError.stopped` when the plan is over a safety limit (`--force` skips the check).
    public static func checkSafety(_ plan: Plan, workspace: Workspace) throws(WorkflowError) {
        if let over = safetyExcess(plan, workspace: workspace) {
            throw .overSafetyLimit(over.message + "; nothing was written", hint: over.hint)
        }
    }

    /// What of the plan is over a safety limit ("apply would delete 7
    /// companies, over safety.max_deletes 5"), or nil.
    public static func safetyExcess(_ plan: Plan, workspace: Workspace) -> (message: String, hint: String)? {
        let deletes = plan.count(.delete)
        if deletes > workspace.maxDeletes {
            return ("apply would delete \(deletes) companies, over safety.max_deletes \(workspace.maxDeletes)",
                    "review the plan, then pass --force, or raise safety.max_deletes in mailform.yaml")
        }
        let touched = plan.count(.change) + deletes
        // A share of a small store is no measure of risk (1 of 3 is 33%):
        // the percentage counts from safety.min_existing companies on, as octoDNS's does.
        if plan.storeCompanyCount > 0 && plan.storeCompanyCount >= workspace.minExistingForPercent {
            let percent = Double(touched) * 100 / Double(plan.storeCompanyCount)
            if percent > workspace.maxChangedPercent {
                return (String(format: "apply would change %.1f%% of the companies in the store (%d/%d), over safety.max_changed_percent %g%%",
                               percent, touched, plan.storeCompanyCount, workspace.maxChangedPercent),
                        "apply in batches with --company, or review the plan and pass --force")
            }
        }
        return nil
    }
}

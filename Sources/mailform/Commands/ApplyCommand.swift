import ArgumentParser
import Foundation
import MailformCore
import MailformProbe
import MailformStore

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Change the store to match the files, or apply exactly a saved plan file.",
        discussion: """
            mailform apply PATHS plans and, after 'yes' on a terminal (or --auto-approve), applies.
            mailform apply FILE applies exactly a plan saved with 'plan --out FILE', or refuses when the store,
            the secrets or the file changed since. All writes happen in one transaction.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Apply without asking for 'yes'.")
    var autoApprove = false

    @Flag(help: "Apply even when the change is over the safety limits (safety.max_deletes, max_changed_percent).")
    var force = false

    @Flag(help: "Do not probe the changed endpoints before writing.")
    var noProbe = false

    @Flag(help: "Write the companies whose endpoints passed the probe, and leave out those that failed.")
    var skipFailed = false

    @OptionGroup var probeFlags: ProbeFlags

    @Option(name: .customLong("company"), help: "Apply only this company id (repeatable; '*' wildcards).")
    var companies: [String] = []

    @Flag(help: "Also delete companies in the store that no file describes.")
    var prune = false

    @Option(help: "Who applies, for the revision log (default: $MAILFORM_ACTOR or the user name).")
    var actor: String?

    @Option(help: "Output format: text, or json (the plan, the probe results and the revision; needs --auto-approve or a plan file).")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Print only the result line (and errors).")
    var quiet = false

    func validate() throws {
        if format != .text && format != .json { throw ValidationError("apply supports --format text or json") }
    }

    /// The parts of a JSON answer, gathered as apply goes.
    final class Report: @unchecked Sendable {
        var plan: [String: Any] = [:]
        var probe: [String: Any]?
    }
    /// One command runs per process, so one report.
    static let report = Report()

    func show(_ plan: Plan) {
        Self.report.plan = PlanRenderer.jsonObject(plan)
        if format == .text && !quiet { Console.out(PlanRenderer.text(plan, style: Style.forStream(1))) }
        if format == .json && plan.isEmpty { Console.out(JSONOutput.string(["plan": Self.report.plan, "revision": NSNull()])) }
    }

    func run() throws {
        if input.paths.count == 1, let only = input.paths.first, Self.isPlanFile(only) {
            try applySaved(Paths.absolute(only), displayName: only)
        } else {
            try applyFresh()
        }
    }

    static func isPlanFile(_ path: String) -> Bool {
        let absolute = Paths.absolute(path)
        return Paths.exists(absolute) && !Paths.isDirectory(absolute) && !absolute.hasSuffix(".yaml") && !absolute.hasSuffix(".yml")
    }

    // MARK: Fresh plan

    func applyFresh() throws {
        let loaded = try Pipeline.loadAndResolve(input)
        let workspace = loaded.result.workspace
        let path = StoreLocation.resolve(flag: storeOptions.store, workspace: workspace)
        if !autoApprove && (isatty(0) != 1 || format == .json) {
            Pipeline.fatal("apply needs --auto-approve when it is not run on a terminal",
                           hint: "review with 'mailform plan --out plan.json', then 'mailform apply plan.json', or pass --auto-approve")
        }
        // The store is created only when there is something to write.
        let opened = Pipeline.openStore(path: path, create: false, lockTimeout: storeOptions.lockTimeout)
        let plan = Reconciler.plan(desired: loaded.desired, opened: opened, scope: companies, prune: prune)
        show(plan)
        if plan.isEmpty { return }
        checkSafety(plan, workspace: workspace)
        if !autoApprove {
            Console.out("\nDo you want to apply these changes? Only 'yes' will be accepted: ")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                Pipeline.fatal("apply cancelled; nothing was written")
            }
        }
        let desired = Dictionary(uniqueKeysWithValues: loaded.desired.map { ($0.id, $0) })
        let digest = "sha256:" + Digest.sha256Hex(PlanRenderer.text(plan, style: .plain))
        let probed = probeBeforeWriting(plan, desired: desired, loaded: loaded.result, workspace: workspace)
        write(probed, desired: desired, expectedStoreID: opened.storeID, digest: digest, opened: opened, workspace: workspace)
    }

    // MARK: Saved plan

    func applySaved(_ file: String, displayName: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else { Pipeline.fatal("cannot read \(displayName)") }
        let saved: SavedPlan
        do {
            saved = try SavedPlan.read(data, path: displayName)
        } catch let refusal as SavedPlan.Refusal {
            Pipeline.fatal(refusal.description)
        }
        var diagnostics = DiagnosticCollector()
        let files = SourceFiles()
        // The workspace: --workspace, else the one the plan was made with (relative
        // to the current folder, as plan ran), else one above the plan file.
        let recorded = saved.workspace_file.map { Paths.absolute($0) }.flatMap { Paths.exists($0) ? $0 : nil }
        let workspaceFile = input.workspace.map { _ in WorkspaceLoader.find(paths: [], override: input.workspace) } ?? recorded
            ?? WorkspaceLoader.find(paths: [Paths.directory(of: file)], override: nil)
        if saved.workspace_file != nil && workspaceFile == nil {
            Pipeline.fatal("the plan was made with the workspace \(saved.workspace_file!), which is not here",
                           hint: "run apply from the folder plan ran in, or name the workspace with --workspace")
        }
        let workspace = WorkspaceLoader.load(file: workspaceFile, files: files, diagnostics: &diagnostics)
        if diagnostics.hasErrors { Pipeline.fail(diagnostics, files: 1) }
        let path = StoreLocation.resolve(flag: storeOptions.store, workspace: workspace)
        if saved.store_id != nil && !Paths.exists(path) {
            Pipeline.fatal("stale plan: the plan was made against a store that is not at \(Paths.display(path)); run plan again")
        }
        let opened = Pipeline.openStore(path: path, create: false, lockTimeout: storeOptions.lockTimeout)
        let resolver = SecretResolver(workspace: workspace)
        var desired: [String: Company<ResolvedSecret>] = [:]
        var stale: [String] = []
        for change in saved.changes {
            guard let document = change.desired else { continue }
            guard let settings = try? document.settings() else { Pipeline.fatal("\(displayName) holds invalid settings for \(change.company)") }
            var problems: [String] = []
            let resolved = settings.mapSecrets { fieldPath, planned -> ResolvedSecret in
                let origin = Paths.absolute(planned.origin, relativeTo: workspace.root)
                guard let reference = SecretReference(parsing: planned.reference) else {
                    problems.append("\(change.company) \(fieldPath): invalid reference")
                    return ResolvedSecret(reference: SecretReference(kind: .env("")), secret: Secret(""), origin: origin)
                }
                switch resolver.resolve(reference, referencedFrom: origin) {
                case .success(let secret):
                    if opened.box.fingerprint(secret).hex != planned.fingerprint {
                        stale.append("secret \(fieldPath) of company \(change.company) changed since the plan")
                    }
                    return ResolvedSecret(reference: reference, secret: secret, origin: origin)
                case .failure(let problem):
                    problems.append("\(change.company) \(fieldPath): \(problem.message)")
                    return ResolvedSecret(reference: reference, secret: Secret(""), origin: origin)
                }
            }
            if !problems.isEmpty { Pipeline.fatal("cannot resolve the plan's secrets: " + problems.joined(separator: "; ")) }
            desired[change.company] = resolved
        }
        if !stale.isEmpty { Pipeline.fatal("stale plan: " + stale.joined(separator: "; ") + "; run plan again") }
        let plan = saved.plan
        show(plan)
        if plan.isEmpty { return }
        checkSafety(plan, workspace: workspace)
        let probed = probeBeforeWriting(plan, desired: desired, loaded: nil, workspace: workspace)
        write(probed, desired: desired, expectedStoreID: saved.store_id, digest: saved.digest, opened: opened, workspace: workspace)
    }

    // MARK: Shared

    func checkSafety(_ plan: Plan, workspace: Workspace) {
        guard !force else { return }
        let deletes = plan.count(.delete)
        if deletes > workspace.maxDeletes {
            Pipeline.fatal("apply would delete \(deletes) companies, over safety.max_deletes \(workspace.maxDeletes); nothing was written",
                           hint: "review the plan, then pass --force, or raise safety.max_deletes in mailform.yaml")
        }
        let touched = plan.count(.change) + deletes
        if plan.storeCompanyCount > 0 {
            let percent = Double(touched) * 100 / Double(plan.storeCompanyCount)
            if percent > workspace.maxChangedPercent {
                Pipeline.fatal(String(format: "apply would change %.1f%% of the companies in the store (%d/%d), over safety.max_changed_percent %g%%; nothing was written",
                                      percent, touched, plan.storeCompanyCount, workspace.maxChangedPercent),
                               hint: "apply in batches with --company, or review the plan and pass --force")
            }
        }
    }

    /// Probes every changed endpoint, like the settings page's Save. A failure
    /// stops the apply (exit 3, nothing written), unless --skip-failed leaves
    /// the failing companies out.
    func probeBeforeWriting(_ plan: Plan, desired: [String: Company<ResolvedSecret>], loaded: LoadResult?, workspace: Workspace) -> Plan {
        if noProbe {
            Pipeline.notice("connectivity was not checked (--no-probe)")
            return plan
        }
        let endpoints = ProbeRunner.changedEndpoints(plan)
        guard !endpoints.isEmpty else { return plan }
        let companies = plan.changes.compactMap { desired[$0.id] }
        let (results, targets) = ProbeRunner.run(companies, only: endpoints, loaded: loaded, options: probeFlags.options(for: workspace),
                                                 trusted: { _, _, _ in true })
        Self.report.probe = ProbeReport.json(results, skipped: targets.skipped)
        if format == .text && !quiet {
            Console.out("\nProbe of the changed endpoints:\n" + ProbeReport.text(results, skipped: targets.skipped, style: Style.forStream(1)))
        } else if format == .text {
            for r in results where !r.ok { Console.err(ProbeReport.line(r, style: Style.forStream(2))) }
        }
        let failed = Set(results.filter { !$0.ok }.map(\.company))
        guard !failed.isEmpty else { return plan }
        if !skipFailed {
            Pipeline.fatal("\(failed.count) compan\(failed.count == 1 ? "y's" : "ies'") endpoints failed the probe (\(failed.sorted().joined(separator: ", "))); nothing was written",
                           hint: "fix the settings named above, or pass --skip-failed to write the others, or --no-probe to skip the check",
                           code: 3)
        }
        var kept = plan
        kept.changes.removeAll { failed.contains($0.id) }
        Pipeline.notice("left out because their probe failed: \(failed.sorted().joined(separator: ", "))")
        if kept.changes.isEmpty { Pipeline.fatal("every changed company failed the probe; nothing was written", code: 3) }
        return kept
    }

    func write(_ plan: Plan, desired: [String: Company<ResolvedSecret>], expectedStoreID: String?, digest: String,
               opened: OpenedStore, workspace: Workspace) {
        let opened = opened.store == nil ? Pipeline.openStore(path: opened.path, create: true, lockTimeout: storeOptions.lockTimeout) : opened
        guard let store = opened.store else { Pipeline.fatal("the store is not open") }
        let request = Applier.Request(plan: plan, desired: desired, expectedStoreID: expectedStoreID, planDigest: digest,
                                      actor: actor ?? Actor.current, sourceCommit: GitInfo.head(of: workspace.root))
        do {
            let revision = try Applier.apply(request, store: store, box: opened.box)
            if format == .json {
                var object: [String: Any] = ["plan": PlanRenderer.jsonObject(plan), "revision": revision,
                                             "added": plan.count(.add), "changed": plan.count(.change), "deleted": plan.count(.delete)]
                if let probe = Self.report.probe { object["probe"] = probe }
                Console.out(JSONOutput.string(object))
            } else {
                Console.out("\(quiet ? "" : "\n")Apply complete: \(plan.count(.add)) added, \(plan.count(.change)) changed, \(plan.count(.delete)) deleted (revision \(revision)).\n")
            }
        } catch let stale as Applier.StalePlan {
            Pipeline.fatal(stale.description)
        } catch let failure as Store.Failure {
            Pipeline.fatal("\(failure.description); nothing was written")
        } catch {
            Pipeline.fatal("apply failed: \(error); nothing was written")
        }
    }
}

/// Who is applying: `$MAILFORM_ACTOR`, else the login name.
enum Actor {
    static var current: String {
        let env = ProcessInfo.processInfo.environment
        if let actor = env["MAILFORM_ACTOR"], !actor.isEmpty { return actor }
        if let user = env["USER"], !user.isEmpty { return user }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "unknown"
    }
}

/// The Git commit of a workspace that is a checkout.
enum GitInfo {
    static func head(of directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory, "rev-parse", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

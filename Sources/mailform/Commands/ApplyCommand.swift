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
    @OptionGroup var dnsFlags: DNSFlags

    @Option(name: .customLong("company"), help: "Apply only this company id (repeatable; '*' wildcards).")
    var companies: [String] = []

    @Flag(help: "Also delete companies in the store that no file describes.")
    var prune = false

    @Option(help: "Who applies, for the revision log (default: $MAILFORM_ACTOR or the user name).")
    var actor: String?

    @Option(help: "Output format; json holds the plan, the probe results and the store revision (needs --auto-approve or a plan file).")
    var format: TextOrJSONFormat = .text

    @Flag(name: .shortAndLong, help: "Print only the result line (and errors).")
    var quiet = false

    /// The parts of a JSON answer, gathered as apply goes.
    final class Report: @unchecked Sendable {
        var plan: [String: Any] = [:]
        var probe: [String: Any]?
        var deliverability: [[String: Any]]?
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
        let result = Pipeline.load(input, storeFlag: storeOptions.store, writes: true)
        let workspace = result.workspace
        let path = StoreLocation.resolve(flag: storeOptions.store, workspace: workspace)
        if !autoApprove && (isatty(0) != 1 || format == .json) {
            Pipeline.fatal("apply needs --auto-approve when it is not run on a terminal",
                           hint: "review with 'mailform plan --out plan.json', then 'mailform apply plan.json', or pass --auto-approve")
        }
        // The store is created only when there is something to write.
        let opened = Pipeline.openStore(path: path, create: false, createKey: true, lockTimeout: storeOptions.lockTimeout)
        let loaded = Pipeline.resolve(result, storeIDs: opened.current.keys, quiet: quiet, writes: true)
        let plan = Pipeline.attempt { try Reconciler.plan(desired: loaded.desired, opened: opened, scope: companies, prune: prune) }
        if !companies.isEmpty && plan.isEmpty && plan.unchangedCount == 0 && plan.unmanaged.isEmpty {
            Pipeline.fatal("no company matches \(companies.map(SafeText.escape).joined(separator: ", ")); nothing was written",
                           hint: "--company takes company ids, with '*' wildcards")
        }
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
        let (probed, leftOut) = probeBeforeWriting(plan, desired: desired, loaded: loaded.result, workspace: workspace, box: opened.box)
        write(probed, desired: desired, expectedStoreID: opened.storeID, digest: digest, opened: opened, workspace: workspace, leftOut: leftOut)
    }

    // MARK: Saved plan

    /// Applies a saved plan: verified, re-validated and recomputed by
    /// `SavedPlanCheck`; what is shown, probed and written is the recomputed plan.
    func applySaved(_ file: String, displayName: String) throws {
        let prepared: SavedPlanCheck.Prepared
        do {
            prepared = try SavedPlanCheck.prepare(file: file, label: displayName, workspaceOverride: input.workspace,
                                                  options: Pipeline.workspaceOptions(input, storeFlag: storeOptions.store),
                                                  lockTimeout: storeOptions.lockTimeout)
        } catch let refusal as SavedPlanCheck.Refusal {
            switch refusal {
            case .invalid(let diagnostics):
                var collector = DiagnosticCollector()
                collector.report(contentsOf: diagnostics)
                Pipeline.fail(collector, files: 1, writes: true)
            case .refused(let message, let hint): Pipeline.fatal(message, hint: hint)
            case .stale(let message): Pipeline.fatal(message)
            }
        }
        if !quiet && !prepared.warnings.isEmpty {
            Console.err(DiagnosticRenderer.text(prepared.warnings, style: Style.forStream(2)))
        }
        let plan = prepared.plan
        show(plan)
        if plan.isEmpty { return }
        checkSafety(plan, workspace: prepared.workspace)
        let (probed, leftOut) = probeBeforeWriting(plan, desired: prepared.desired, loaded: nil, workspace: prepared.workspace,
                                                   box: prepared.opened.box)
        write(probed, desired: prepared.desired, expectedStoreID: prepared.saved.store_id, digest: prepared.saved.digest,
              opened: prepared.opened, workspace: prepared.workspace, leftOut: leftOut)
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
    func probeBeforeWriting(_ plan: Plan, desired: [String: Company<ResolvedSecret>], loaded: LoadResult?, workspace: Workspace,
                            box: SecretBox) -> (Plan, leftOut: [String]) {
        if noProbe {
            if !quiet { Pipeline.notice("connectivity was not checked (--no-probe)") }
            return (plan, [])
        }
        let endpoints = ProbeRunner.changedEndpoints(plan)
        guard !endpoints.isEmpty else { return (plan, []) }
        let companies = plan.changes.compactMap { desired[$0.id] }
        // apply runs after review: the changed endpoints get their credentials.
        let (results, targets) = ProbeRunner.run(companies, only: endpoints, loaded: loaded, options: probeFlags.options(for: workspace),
                                                 gate: .everywhere, box: box)
        Self.report.probe = ProbeReport.json(results, skipped: targets.skipped)
        if format == .text && !quiet {
            Console.out("\nProbe of the changed endpoints:\n" + ProbeReport.text(results, skipped: targets.skipped, style: Style.forStream(1)))
        } else if format == .text {
            for r in results where !r.ok { Console.err(ProbeReport.line(r, style: Style.forStream(2))) }
        }
        // The DNS stage: an error-level finding ("mail will be rejected") blocks
        // like a failed probe; warnings do not (docs/security.md, README).
        let touched = Set(plan.changes.filter { change in
            change.action != .delete && change.fields.contains { f in
                ["sender.", "dsar_sender.", "provider", "smtp.host", "mailgun."].contains { f.path.hasPrefix($0) }
            }
        }.map(\.id))
        let dns = dnsFlags.outcome(companies.filter { touched.contains($0.id) }, results: results, workspace: workspace,
                                   concurrency: probeFlags.options(for: workspace).concurrency)
        if let dns {
            Self.report.deliverability = DeliverabilityRunner.json(dns, locate: DeliverabilityRunner.locator(loaded))
            if format == .text && (!quiet || dns.hasErrors) {
                Console.out("\n" + DeliverabilityRunner.text(dns, locate: DeliverabilityRunner.locator(loaded), style: Style.forStream(1)))
            }
        }
        let failed = Set(results.filter { !$0.ok }.map(\.company)).union(dns?.failedCompanies ?? [])
        guard !failed.isEmpty else { return (plan, []) }
        if !skipFailed {
            Pipeline.fatal("\(failed.count) compan\(failed.count == 1 ? "y" : "ies") failed the probe or the DNS checks (\(failed.sorted().joined(separator: ", "))); nothing was written",
                           hint: "fix the settings named above, or pass --skip-failed to write the others, or --no-probe to skip the check",
                           code: 3)
        }
        var kept = plan
        kept.changes.removeAll { failed.contains($0.id) }
        Pipeline.notice("left out because their probe failed: \(failed.sorted().joined(separator: ", "))")
        if kept.changes.isEmpty { Pipeline.fatal("every changed company failed the probe; nothing was written", code: 3) }
        return (kept, failed.sorted())
    }

    /// Writes in one transaction. A partial apply (`--skip-failed` left
    /// companies out) exits 3 after writing, and its revision names them.
    func write(_ plan: Plan, desired: [String: Company<ResolvedSecret>], expectedStoreID: String?, digest: String,
               opened: OpenedStore, workspace: Workspace, leftOut: [String]) {
        let opened = opened.store == nil ? Pipeline.openStore(path: opened.path, create: true, lockTimeout: storeOptions.lockTimeout) : opened
        guard let store = opened.store else { Pipeline.fatal("the store is not open") }
        var request = Applier.Request(plan: plan, desired: desired, expectedStoreID: expectedStoreID, planDigest: digest,
                                      actor: actor ?? Actor.current, sourceCommit: GitInfo.head(of: workspace.root), leftOut: leftOut)
        // Markers for crash trials (tests, bench/trials.py): where a kill lands.
        if ProcessInfo.processInfo.environment["MAILFORM_PROGRESS_MARKERS"] == "1" {
            request.progress = { phase in Console.err("mailform: progress: \(phase)\n") }
        }
        do {
            let revision = try Applier.apply(request, store: store, box: opened.box)
            if format == .json {
                var object: [String: Any] = ["plan": PlanRenderer.jsonObject(plan), "revision": revision,
                                             "added": plan.count(.add), "changed": plan.count(.change), "deleted": plan.count(.delete)]
                if let probe = Self.report.probe { object["probe"] = probe }
                if let deliverability = Self.report.deliverability { object["deliverability"] = deliverability }
                object["left_out"] = leftOut
                Console.out(JSONOutput.string(object))
            } else {
                let partial = leftOut.isEmpty ? "" : "; left out after a failed probe: \(leftOut.joined(separator: ", "))"
                Console.out("\(quiet ? "" : "\n")Apply complete: \(plan.count(.add)) added, \(plan.count(.change)) changed, \(plan.count(.delete)) deleted (store revision \(revision))\(partial).\n")
            }
            if !leftOut.isEmpty { Foundation.exit(3) }
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

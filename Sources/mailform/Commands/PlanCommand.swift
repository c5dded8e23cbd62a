import ArgumentParser
import Foundation
import MailformCore
import MailformProbe
import MailformStore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change in the store, field by field.",
        discussion: "Exit 0 on success; with --detailed-exitcode, 0 when there are no changes and 2 when there are; 1 on errors."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Output format; json follows 'mailform schema plan', markdown fits one pull-request comment.")
    var format: PlanFormat = .text

    @Option(help: "Save the plan to this file, for 'mailform apply FILE'.")
    var out: String?

    @Option(name: .customLong("company"), help: "Plan only this company id (repeatable; '*' wildcards).")
    var companies: [String] = []

    @Flag(help: "Plan deletion of companies in the store that no file describes.")
    var prune = false

    @Flag(help: "Exit 2 when the plan has changes, 0 when it has none.")
    var detailedExitcode = false

    @Flag(name: .shortAndLong, help: "Text format: print only the summary line (and probe failures).")
    var quiet = false

    @Flag(help: "Probe the endpoints the plan changes (exit 3 when one fails).")
    var probe = false

    @Flag(help: "With --probe, also send credentials to hosts the store does not already have for that company.")
    var sendCredentials = false

    @OptionGroup var probeFlags: ProbeFlags
    @OptionGroup var dnsFlags: DNSFlags

    func run() throws {
        let result = Pipeline.load(input, storeFlag: storeOptions.store, writes: out != nil)
        let workspace = result.workspace
        let path = StoreLocation.resolve(flag: storeOptions.store, workspace: workspace)
        // Only a saved plan needs a lasting key (it is signed with it).
        let opened = Pipeline.openStore(path: path, create: false, createKey: out != nil, lockTimeout: storeOptions.lockTimeout)
        let loaded = Pipeline.resolve(result, storeIDs: opened.current.keys, writes: out != nil)
        let plan = Pipeline.attempt { try Reconciler.plan(desired: loaded.desired, opened: opened, scope: companies, prune: prune) }
        if !companies.isEmpty && plan.isEmpty && plan.unchangedCount == 0 && plan.unmanaged.isEmpty {
            Pipeline.fatal("no company matches \(companies.map(SafeText.escape).joined(separator: ", "))",
                           hint: "--company takes company ids, with '*' wildcards")
        }
        if let out {
            let desired = Dictionary(uniqueKeysWithValues: Pipeline.attempt {
                try loaded.desired.map { ($0.id, try Reconciler.planned($0, box: opened.box, workspaceRoot: workspace.root)) }
            })
            let workspaceFile = WorkspaceLoader.find(paths: input.paths, override: input.workspace).map(Paths.display)
            var saved = SavedPlan(plan: plan, desired: desired, storeID: opened.storeID, mode: workspace.mode,
                                  workspaceFile: workspaceFile, version: BuildInfo.version, createdAt: Date())
            saved.sign(opened.box.planMAC)
            do {
                try saved.encoded().write(to: URL(fileURLWithPath: Paths.absolute(out)))
            } catch {
                Pipeline.fatal("cannot write the plan file \(out): \(error.localizedDescription)")
            }
        }
        var probeResults: [ProbeResult] = []
        var dnsOutcome: DeliverabilityRunner.Outcome?
        var dnsCompanies: [String] = []
        var skipped: [(company: String, reason: String)] = []
        if probe {
            // Credentials go only to endpoints that already hold that same
            // secret in the store (docs/security.md): a pull request cannot
            // make the probe hand a secret to a new host, port or TLS mode.
            let gate = sendCredentials ? CredentialGate.everywhere : CredentialGate(store: opened)
            let endpoints = ProbeRunner.changedEndpoints(plan)
            let changed = loaded.desired.filter { endpoints[$0.id] != nil }
            let run = ProbeRunner.run(changed, only: endpoints, loaded: loaded.result, options: probeFlags.options(for: workspace),
                                      gate: gate, box: opened.box)
            (probeResults, skipped) = (run.results, run.targets.skipped)
            // The DNS stage for the companies whose sending the plan changes.
            let touched = Set(plan.changes.filter { change in
                change.action != .delete && change.fields.contains { f in
                    ["sender.", "dsar_sender.", "provider", "smtp.host", "mailgun."].contains { f.path.hasPrefix($0) }
                }
            }.map(\.id))
            dnsOutcome = dnsFlags.outcome(loaded.desired.filter { touched.contains($0.id) }, results: probeResults, workspace: workspace,
                                          concurrency: probeFlags.options(for: workspace).concurrency)
            dnsCompanies = touched.sorted()
        }
        let locate = DeliverabilityRunner.locator(loaded.result)
        switch format {
        case .json:
            var object = PlanRenderer.jsonObject(plan)
            if probe { object["probe"] = ProbeReport.json(probeResults, skipped: skipped) }
            if let dnsOutcome { object["deliverability"] = DeliverabilityRunner.json(dnsOutcome, locate: locate) }
            Console.out(JSONOutput.string(object))
        case .markdown:
            Console.out(PlanRenderer.markdown(plan))
            if probe { Console.out("\n" + SafeText.markdownCodeBlock(ProbeReport.text(probeResults, skipped: skipped, style: .plain))) }
            if let dnsOutcome {
                Console.out(DeliverabilityRunner.markdown(dnsOutcome, companies: dnsCompanies))
                if !dnsOutcome.findings.isEmpty {
                    Console.out("\n" + SafeText.markdownCodeBlock(DeliverabilityRunner.text(dnsOutcome, locate: locate, style: .plain)))
                }
            }
        default:
            if quiet {
                Console.out(plan.summary + "\n")
                for r in probeResults where !r.ok { Console.out(ProbeReport.line(r, style: Style.forStream(1))) }
                break
            }
            Console.out(PlanRenderer.text(plan, style: Style.forStream(1)))
            if probe {
                Console.out("\nProbe of the changed endpoints:\n" + ProbeReport.text(probeResults, skipped: skipped, style: Style.forStream(1)))
            }
            if let dnsOutcome { Console.out("\n" + DeliverabilityRunner.text(dnsOutcome, locate: locate, style: Style.forStream(1))) }
            if let out, !plan.isEmpty { Console.out("\nSaved the plan to \(out); apply exactly it with: mailform apply \(out)\n") }
        }
        if probeResults.contains(where: { !$0.ok }) || dnsOutcome?.hasErrors == true { throw ExitCode(3) }
        if detailedExitcode && !plan.isEmpty { throw ExitCode(2) }
    }
}

import ArgumentParser
import Foundation
import MailformCore
import MailformProbe
import MailformStore
import MailformWorkflow

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
        var request = PlanRequest(input: Pipeline.input(input, store: storeOptions.store, lockTimeout: storeOptions.lockTimeout))
        request.companies = companies
        request.prune = prune
        request.out = out
        request.version = BuildInfo.version
        request.probe = probe
        request.sendCredentials = sendCredentials
        request.probeSettings = probeFlags.settings
        request.dns = dnsFlags.settings
        let outcome = try Pipeline.attempt(writes: out != nil) { () throws(WorkflowError) in
            try PlanWorkflow.run(request, hooks: Pipeline.hooks(quiet: false))
        }
        Teardown.skip(outcome)
        let plan = outcome.plan
        let probeResults = outcome.probe?.results ?? []
        let skipped = outcome.probe?.skipped ?? []
        let dnsOutcome = outcome.probe?.deliverability
        let locate = DeliverabilityRunner.locator(outcome.loaded.result)
        switch format {
        case .json:
            var object = PlanRenderer.jsonObject(plan)
            if probe { object["probe"] = ProbeReport.json(probeResults, skipped: skipped) }
            if let dnsOutcome { object["deliverability"] = DeliverabilityRunner.json(dnsOutcome, locate: locate) }
            JSONOutput.write(object, emit: Console.out)
        case .markdown:
            Console.out(PlanRenderer.markdown(plan))
            if probe { Console.out("\n" + SafeText.markdownCodeBlock(ProbeReport.text(probeResults, skipped: skipped, style: .plain))) }
            if let dnsOutcome {
                Console.out(DeliverabilityRunner.markdown(dnsOutcome, companies: outcome.probe?.checkedDomainsOf ?? []))
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

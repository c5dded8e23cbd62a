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

    @Option(help: ArgumentHelp(
        "Plan against this state snapshot ('mailform snapshot') instead of the store: no store, no key and no secret value is read.",
        discussion: "The pull-request job's mode: secrets compare by reference, --probe sends no credential, and the change set's digest is what 'apply --reviewed' checks after merge."))
    var snapshot: String?

    @Option(help: "Also write the change set's digest (cs1:…) to this file, for 'apply --reviewed' after merge (never through a link).")
    var changeSet: String?

    @OptionGroup var probeFlags: ProbeFlags
    @OptionGroup var dnsFlags: DNSFlags

    func validate() throws {
        if snapshot != nil && out != nil {
            throw ValidationError("--snapshot and --out cannot go together: a saved plan is signed with the store key, which a plan against a snapshot never holds")
        }
        if snapshot != nil && storeOptions.store != nil {
            throw ValidationError("--snapshot and --store cannot go together: a plan against a snapshot reads no store")
        }
        if snapshot != nil && sendCredentials {
            throw ValidationError("--snapshot and --send-credentials cannot go together: a plan against a snapshot holds no credential")
        }
    }

    func run() throws {
        var request = PlanRequest(input: Pipeline.input(input, store: storeOptions.store, lockTimeout: storeOptions.lockTimeout))
        request.input.snapshot = snapshot
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
        // Said at once, not when the saved plan is applied.
        if out != nil, !plan.isEmpty, let over = Stages.safetyExcess(plan, workspace: outcome.loaded.result.workspace) {
            let style = Style.forStream(2)
            Console.err("mailform: \(style.yellow(style.bold("warning"))): the saved plan is over a safety limit: \(over.message); 'mailform apply \(out!)' will refuse it without --force\n")
            Console.err("  \(style.dim("hint:")) \(over.hint)\n")
        }
        if let changeSet {
            do {
                try SafeWrite.write(Array((outcome.changeSet + "\n").utf8), to: changeSet)
            } catch let refusal as SafeWrite.Refusal {
                throw Pipeline.fatal(refusal)
            }
        }
        let probeResults = outcome.probe?.results ?? []
        let skipped = outcome.probe?.skipped ?? []
        let dnsOutcome = outcome.probe?.deliverability
        let locate = DeliverabilityRunner.locator(outcome.loaded.result)
        let workspace = outcome.loaded.result.workspace
        let against = Self.against(outcome.store)
        let notices = outcome.loaded.warnings.filter { $0.rule == "secret-fence-wide" }.map(\.message)
        // Waived rules: each a note naming the reason (reviewers see them).
        let waived = outcome.loaded.warnings.filter { $0.severity == .note && workspace.waivableRules.contains($0.rule ?? "") }
        let recorded = outcome.recordedReferences.map { r in
            "\(SafeText.escape(r.company)) \(SafeText.escape(r.path)): reference \(SafeText.escape(r.from ?? "(none recorded)")) -> \(SafeText.escape(r.to))"
        }
        var words = ["mailform", "apply", "--reviewed", outcome.changeSet] + input.paths.map(Self.shellWord)
        words += companies.flatMap { ["--company", Self.shellWord($0)] }
        if prune { words.append("--prune") }
        // The same store and workspace as this plan; the digest is the approval.
        if let store = storeOptions.store { words += ["--store", Self.shellWord(store)] }
        if let workspace = input.workspace { words += ["--workspace", Self.shellWord(workspace)] }
        if let trusted = input.trustedWorkspace { words += ["--trusted-workspace", Self.shellWord(trusted)] }
        words.append("--auto-approve")
        let applyCommand = words.joined(separator: " ")
        switch format {
        case .json:
            var object = PlanRenderer.jsonObject(plan)
            if probe { object["probe"] = ProbeReport.json(probeResults, skipped: skipped) }
            if let dnsOutcome {
                object["deliverability"] = DeliverabilityRunner.json(dnsOutcome, locate: locate)
                object["deliverability_summary"] = DeliverabilityRunner.summary(dnsOutcome)
            }
            object["change_set"] = outcome.changeSet
            object["against"] = Self.againstObject(outcome.store)
            object["trusted_settings_changed"] = workspace.trustedChanges
            object["notices"] = notices
            object["waived"] = waived.map(DiagnosticRenderer.jsonObject)
            object["recorded_references"] = outcome.recordedReferences.map { r -> Any in
                ["company": r.company, "path": r.path, "current_reference": r.from ?? NSNull(), "desired_reference": r.to] as [String: Any]
            }
            JSONOutput.write(object, emit: Console.out)
        case .markdown:
            var comment = PlanComment(plan: plan, changeSet: outcome.changeSet, against: against)
            comment.trustedChanges = workspace.trustedChanges
            comment.notices = notices
            comment.applyCommand = plan.isEmpty && recorded.isEmpty ? nil : applyCommand
            if !waived.isEmpty {
                comment.sections.append(.codeBlock(title: "Rules waived for a company (reason, until)",
                                                   text: DiagnosticRenderer.text(waived, style: .plain)))
            }
            if !recorded.isEmpty {
                comment.sections.append(.codeBlock(title: "References apply records (the values stay the same)", text: Self.shortList(recorded).joined(separator: "\n")))
            }
            if probe {
                comment.sections.append(.codeBlock(title: "Probe of the changed endpoints" + (snapshot != nil ? " (no credentials: connect, TLS, EHLO, QUIT)" : ""),
                                                   text: ProbeReport.text(probeResults, skipped: skipped, style: .plain)))
            }
            if let dnsOutcome {
                comment.sections.append(.markdown(DeliverabilityRunner.markdown(dnsOutcome, companies: outcome.probe?.checkedDomainsOf ?? [])))
                if !dnsOutcome.findings.isEmpty {
                    comment.sections.append(.codeBlock(title: "Deliverability findings", text: DeliverabilityRunner.text(dnsOutcome, locate: locate, style: .plain)))
                }
            }
            Console.out(comment.render())
        default:
            let style = Style.forStream(1)
            if !workspace.trustedChanges.isEmpty && !quiet {
                Console.out(style.yellow("This pull request changes trusted settings") + " of mailform.yaml (they take effect only after merge; this run used the trusted file's): "
                            + workspace.trustedChanges.map(SafeText.escape).joined(separator: ", ") + "\n\n")
            }
            if quiet {
                Console.out(plan.summary + "\n")
                for r in probeResults where !r.ok { Console.out(ProbeReport.line(r, style: Style.forStream(1))) }
                // Why a quiet plan exits 3: the deliverability errors too.
                if let dnsOutcome, dnsOutcome.hasErrors {
                    Console.out(DeliverabilityRunner.text(dnsOutcome, locate: locate, style: Style.forStream(1), onlyErrors: true))
                }
                break
            }
            // Printed as it is made: the text of 100,000 added companies is
            // 76 MB, and held whole it put the plan over its memory bound.
            PlanRenderer.text(plan, style: Style.forStream(1), emit: Console.buffered())
            Console.flush()
            if !recorded.isEmpty {
                Console.out("References apply records (the values stay the same):\n" + Self.shortList(recorded).map { "  " + $0 + "\n" }.joined())
            }
            Console.out("Planned against \(SafeText.escape(against)).\n")
            if !plan.isEmpty || !recorded.isEmpty {
                Console.out("Change set: \(outcome.changeSet)\nAfter review, apply exactly it with: \(SafeText.escape(applyCommand))\n")
            }
            if probe {
                Console.out("\nProbe of the changed endpoints:\n" + ProbeReport.text(probeResults, skipped: skipped, style: Style.forStream(1)))
            }
            if let dnsOutcome { Console.out("\n" + DeliverabilityRunner.text(dnsOutcome, locate: locate, style: Style.forStream(1))) }
            if let out, !plan.isEmpty { Console.out("\nSaved the plan to \(out); apply exactly it with: mailform apply \(out)\n") }
        }
        if probeResults.contains(where: { !$0.ok }) || dnsOutcome?.hasErrors == true { throw ExitCode(3) }
        if detailedExitcode && !plan.isEmpty { throw ExitCode(2) }
    }

    /// "snapshot FILE (store ID, store revision N, written T)" or "store PATH (store ID, store revision N, K companies)".
    static func against(_ opened: OpenedStore) -> String { opened.label }

    static func againstObject(_ opened: OpenedStore) -> [String: Any] {
        if let snapshot = opened.snapshot {
            return ["snapshot": Paths.display(opened.path), "store_id": snapshot.storeID, "store_revision": snapshot.storeRevision,
                    "created_at": snapshot.createdAt, "companies": snapshot.companies.count]
        }
        return ["store": Paths.display(opened.path), "store_id": opened.storeID ?? NSNull(), "store_revision": opened.storeRevision,
                "exists": opened.storeID != nil, "companies": opened.summaries.count]
    }

    /// A word as a POSIX shell reads it (quoted when it needs to be).
    static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { c in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || "/._-+,:@%=".unicodeScalars.contains(c))
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// At most 50 lines of a list that grows with the fleet (an export's
    /// renamed references listed 2,000 lines after "No changes"), then how
    /// many more; `--format json` lists them all.
    static func shortList(_ lines: [String], limit: Int = 50) -> [String] {
        guard lines.count > limit else { return lines }
        return Array(lines.prefix(limit)) + ["… and \(ChangeGroups.number(lines.count - limit)) more (--format json lists them all)"]
    }
}

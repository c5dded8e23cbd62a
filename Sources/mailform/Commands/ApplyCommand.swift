import ArgumentParser
import Foundation
import MailformCore
import MailformProbe
import MailformStore
import MailformWorkflow

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Change the store to match the files, or apply exactly a saved plan file.",
        discussion: """
            mailform apply PATHS plans and, after 'yes' on a terminal (or --auto-approve), applies.
            mailform apply FILE applies exactly a plan saved with 'plan --out FILE', or refuses when the store, \
            the secrets or the file changed since. All writes happen in one transaction.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Apply without asking for 'yes'.")
    var autoApprove = false

    @Flag(help: "Apply even when the change is over the safety limits (safety.max_deletes, max_changed_percent).")
    var force = false

    @Flag(help: "Create the store when there is none at its path (without it, apply stops: a mistyped --store never starts an empty store).")
    var createStore = false

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

    @Option(help: ArgumentHelp(
        "Apply only if the change set is the reviewed one: the digest (cs1:…) a plan printed in the pull request.",
        discussion: "The plan is made again against the live store; when its change set (secrets by reference) is not the one the digest names, nothing is written and the difference is shown."))
    var reviewed: String?

    func validate() throws {
        if let reviewed, !ReviewedChangeSet.isDigest(reviewed) {
            throw ValidationError("--reviewed takes a change set digest as a plan prints it: cs1: and 64 hexadecimal digits")
        }
        if reviewed != nil && input.paths.count == 1 && Self.isPlanFile(input.paths[0]) {
            throw ValidationError("--reviewed applies files (PATHS), not a saved plan file: a saved plan is already exactly what it applies")
        }
    }

    func run() throws {
        var request = ApplyRequest(input: Pipeline.input(input, store: storeOptions.store, lockTimeout: storeOptions.lockTimeout),
                                   actor: actor ?? Actor.current)
        request.companies = companies
        request.prune = prune
        request.force = force
        request.noProbe = noProbe
        request.skipFailed = skipFailed
        request.probe = probeFlags.settings
        request.dns = dnsFlags.settings
        request.reviewed = reviewed
        request.createStore = createStore
        if autoApprove {
            request.approval = .automatic
        } else if isatty(0) == 1 && format != .json {
            request.approval = .ask { _ in
                Console.out("\nDo you want to apply these changes? Only 'yes' will be accepted: ")
                return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
            }
        } else {
            request.approval = .unavailable
        }
        var hooks = Pipeline.hooks(quiet: quiet)
        // On a terminal the plan is shown in colour; elsewhere the plain
        // pieces the digest is made of are printed as they come.
        let styled = Style.forStream(1)
        hooks.planned = { plan in
            if format == .text && !quiet && styled.enabled { Console.out(PlanRenderer.text(plan, style: styled)) }
        }
        hooks.plainText = { piece in
            if format == .text && !quiet && !styled.enabled { Console.out(piece) }
        }
        hooks.probed = { outcome in
            if format == .text && !quiet {
                Console.out("\nProbe of the changed endpoints:\n" + ProbeReport.text(outcome.results, skipped: outcome.skipped, style: Style.forStream(1)))
            } else if format == .text {
                for r in outcome.results where !r.ok { Console.err(ProbeReport.line(r, style: Style.forStream(2))) }
            }
            if let dns = outcome.deliverability, format == .text && (!quiet || dns.hasErrors) {
                Console.out("\n" + DeliverabilityRunner.text(dns, locate: outcome.locate, style: Style.forStream(1)))
            }
        }
        // Markers for crash trials (tests, bench/trials.py): where a kill lands.
        if ProcessInfo.processInfo.environment["MAILFORM_PROGRESS_MARKERS"] == "1" {
            hooks.phase = { phase in Console.err("mailform: progress: \(phase)\n") }
        }
        let saved = input.paths.count == 1 && Self.isPlanFile(input.paths[0])
        let outcome = try Pipeline.attempt(writes: true) { () throws(WorkflowError) in
            saved
                ? try ApplyWorkflow.saved(file: Paths.absolute(input.paths[0]), label: input.paths[0], request, hooks: hooks)
                : try ApplyWorkflow.fresh(request, hooks: hooks)
        }
        Teardown.skip(outcome)
        render(outcome, locate: outcome.probe?.locate ?? { _, _ in nil })
        if !outcome.leftOut.isEmpty { throw ExitCode(3) }
    }

    static func isPlanFile(_ path: String) -> Bool {
        let absolute = Paths.absolute(path)
        return Paths.exists(absolute) && !Paths.isDirectory(absolute) && !absolute.hasSuffix(".yaml") && !absolute.hasSuffix(".yml")
    }

    /// The result line (text) or the whole answer (JSON).
    func render(_ outcome: ApplyOutcome, locate: (String, String) -> SourceLocation?) {
        let plan = outcome.plan
        guard let revision = outcome.revision else {
            if format == .json { JSONOutput.write(["plan": PlanRenderer.jsonObject(plan), "revision": NSNull()], emit: Console.out) }
            return
        }
        if format == .json {
            var object: [String: Any] = ["plan": PlanRenderer.jsonObject(plan), "revision": revision,
                                         "added": plan.count(.add), "changed": plan.count(.change), "deleted": plan.count(.delete)]
            if let probe = outcome.probe {
                object["probe"] = ProbeReport.json(probe.results, skipped: probe.skipped)
                if let dns = probe.deliverability { object["deliverability"] = DeliverabilityRunner.json(dns, locate: locate) }
            }
            object["left_out"] = outcome.leftOut
            JSONOutput.write(object, emit: Console.out)
        } else {
            let partial = outcome.leftOut.isEmpty ? "" : "; left out after a failed probe: \(SafeText.list(outcome.leftOut))"
            Console.out("\(quiet ? "" : "\n")Apply complete: \(plan.count(.add)) added, \(plan.count(.change)) changed, \(plan.count(.delete)) deleted (store revision \(revision))\(partial).\n")
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

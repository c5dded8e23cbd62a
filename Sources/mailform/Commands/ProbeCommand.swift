import ArgumentParser
import Foundation
import MailformCore
import JSONSchema
import MailformProbe
import MailformStore

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check that every SMTP and Mailgun endpoint in the files connects and authenticates, without sending mail.",
        discussion: "SMTP: connect, banner, EHLO, STARTTLS or implicit TLS, AUTH, NOOP, QUIT (never MAIL, RCPT or DATA). Mailgun: the domains API. Exit 0 when all pass, 3 when any fails, 1 on invalid input."
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var probeFlags: ProbeFlags
    @OptionGroup var dnsFlags: DNSFlags

    @Option(name: .customLong("company"), help: "Probe only this company id (repeatable; '*' wildcards).")
    var companies: [String] = []

    @Option(help: "Output format.")
    var format: TextOrJSONFormat = .text

    @Option(help: "Send one test message to this address (SMTP: a real message; Mailgun: test mode). Only with this flag does probe send mail.")
    var sendTest: String?

    @Flag(name: .shortAndLong, help: "Print only failed endpoints and the summary line.")
    var quiet = false

    @Flag(help: "Show each SMTP dialogue: server replies and command verbs (credentials are never shown).")
    var trace = false

    @Flag(help: "Send credentials to every endpoint, also those the store does not already hold them for (never on pull requests).")
    var sendCredentials = false

    @Option(help: "The SQLite store whose endpoints may receive credentials (default: MAILFORM_STORE, the workspace's store:, or mailform.db beside mailform.yaml).")
    var store: String?

    func run() throws {
        let result = Pipeline.load(input, storeFlag: store, writes: false)
        let workspace = result.workspace
        // Credentials go only where the store already holds them, unless the
        // operator passes --send-credentials (docs/security.md). The store is
        // read, never created, and no key file is made.
        let path = StoreLocation.resolve(flag: store, workspace: workspace)
        let opened = Pipeline.openStore(path: path, create: false, createKey: false, lockTimeout: 10)
        let loaded = Pipeline.resolve(result, storeIDs: opened.current.keys, writes: false)
        let selected = loaded.desired.filter { c in companies.isEmpty || companies.contains { Glob.matches(pattern: $0, c.id) } }
        if selected.isEmpty && !companies.isEmpty {
            Pipeline.fatal("no company matches \(companies.joined(separator: ", "))")
        }
        var options = probeFlags.options(for: workspace)
        if let sendTest {
            guard Formats.isEmail(sendTest) else { Pipeline.fatal("--send-test needs an e-mail address, not '\(sendTest)'") }
            options.sendTestTo = sendTest
        }
        let gate = sendCredentials ? CredentialGate.everywhere : CredentialGate(store: opened)
        let (results, targets) = ProbeRunner.run(selected, only: nil, loaded: loaded.result, options: options, gate: gate, box: opened.box)
        // The DNS stage: will the mail arrive (SPF, DMARC, DKIM, MX)?
        let dns = dnsFlags.outcome(selected, results: results, workspace: workspace, concurrency: options.concurrency)
        let locate = DeliverabilityRunner.locator(loaded.result)
        if format == .json {
            var object = ProbeReport.json(results, skipped: targets.skipped)
            if let dns { object["deliverability"] = DeliverabilityRunner.json(dns, locate: locate) }
            Console.out(JSONOutput.string(object))
        } else {
            if quiet {
                for r in results where !r.ok { Console.out(ProbeReport.line(r, style: Style.forStream(1))) }
                Console.out(ProbeReport.summary(results, skipped: targets.skipped.count) + "\n")
            } else {
                Console.out(ProbeReport.text(results, skipped: targets.skipped, style: Style.forStream(1), trace: trace))
            }
            if let dns, !quiet || dns.hasErrors {
                Console.out("\n" + DeliverabilityRunner.text(dns, locate: locate, style: Style.forStream(1)))
            }
        }
        // An error-level finding fails like a failed probe; warnings do not.
        if results.contains(where: { !$0.ok }) || dns?.hasErrors == true { throw ExitCode(3) }
    }
}

import ArgumentParser
import Foundation
import MailformCore
import JSONSchema
import MailformProbe
import MailformStore
import MailformWorkflow

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check that every SMTP server and provider API (Mailgun, Mailchimp Transactional, SendGrid) in the files connects and authenticates, without sending mail, and that each company's mail will arrive.",
        discussion: "SMTP: connect, banner, EHLO, STARTTLS or implicit TLS, AUTH, NOOP, QUIT (never MAIL, RCPT or DATA). A provider: its API's key and domain checks (docs/providers.md); a key the store does not hold for it is not sent, and the endpoint is 'not checked'. Then the DNS stage: SPF, DMARC, DKIM, MX, MTA-STS and TLS-RPT of the sender and DSAR domains (--no-dns skips it). Exit 0 when all pass, 3 when an endpoint fails or the DNS stage finds an error, 1 on invalid input."
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
        var request = ProbeRequest(input: Pipeline.input(input, store: store))
        request.companies = companies
        request.sendCredentials = sendCredentials
        request.probeSettings = probeFlags.settings
        request.dns = dnsFlags.settings
        if let sendTest {
            guard Formats.isEmail(sendTest) else { throw Pipeline.fatal(.usage, "--send-test needs an e-mail address, not '\(SafeText.escape(sendTest))'") }
            request.probeSettings.sendTestTo = sendTest
        }
        let (outcome, loaded) = try Pipeline.attempt(writes: false) { () throws(WorkflowError) in
            try ProbeWorkflow.run(request, hooks: Pipeline.hooks(quiet: false))
        }
        let results = outcome.results
        let dns = outcome.deliverability
        let locate = DeliverabilityRunner.locator(loaded.result)
        if format == .json {
            var object = ProbeReport.json(results, skipped: outcome.skipped)
            if let dns {
                object["deliverability"] = DeliverabilityRunner.json(dns, locate: locate)
                object["deliverability_summary"] = DeliverabilityRunner.summary(dns)
            }
            Console.out(JSONOutput.string(object))
        } else {
            if quiet {
                for r in results where !r.ok { Console.out(ProbeReport.line(r, style: Style.forStream(1))) }
                Console.out(ProbeReport.summary(results, skipped: outcome.skipped.count) + "\n")
            } else {
                Console.out(ProbeReport.text(results, skipped: outcome.skipped, style: Style.forStream(1), trace: trace))
            }
            if let dns {
                Console.out((quiet ? "" : "\n") + DeliverabilityRunner.text(dns, locate: locate, style: Style.forStream(1), onlyErrors: quiet))
            } else if !quiet {
                Console.out("\nDeliverability: skipped (--no-dns or MAILFORM_DNS=off).\n")
            }
        }
        // An error-level finding fails like a failed probe; warnings do not.
        if outcome.failed { throw ExitCode(3) }
    }
}

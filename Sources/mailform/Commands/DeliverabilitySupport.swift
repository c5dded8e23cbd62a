import ArgumentParser
import Foundation
import MailformCore
import MailformDNS
import MailformDeliverability
import MailformProbe
import SPF

/// Flags of the DNS stage (sender-domain checks: SPF, DMARC, DKIM, MX).
struct DNSFlags: ParsableArguments {
    @Flag(help: "Skip the DNS stage: the SPF, DMARC, DKIM and MX checks of the sender domains.")
    var noDns = false

    @Option(name: .customLong("dns-server"), help: "A resolver to ask, as host:port (repeatable; default: probe.dns.servers, else the system's).")
    var dnsServers: [String] = []
}

extension DNSFlags {
    /// Whether the DNS stage runs: not with --no-dns, nor with
    /// `MAILFORM_DNS=off` (the test suite's setting, so that no query leaves
    /// the machine unless a test starts its own DNS server).
    var enabled: Bool {
        !noDns && ProcessInfo.processInfo.environment["MAILFORM_DNS"]?.lowercased() != "off"
    }

    /// Runs the DNS stage for the companies, with the Mailgun records the probe read.
    func outcome(_ companies: [Company<ResolvedSecret>], results: [ProbeResult], workspace: Workspace,
                 concurrency: Int) -> DeliverabilityRunner.Outcome? {
        guard enabled else { return nil }
        var records: [String: [MailgunDNSRecordState]] = [:]
        for r in results where r.endpointPath == "mailgun" && !r.mailgunDNSRecords.isEmpty { records[r.company] = r.mailgunDNSRecords }
        let inputs = DeliverabilityRunner.inputs(companies, mailgunRecords: records, workspace: workspace)
        return DeliverabilityRunner.run(inputs, servers: dnsServers.isEmpty ? workspace.dnsServers : dnsServers,
                                        timeoutMilliseconds: workspace.dnsTimeoutMilliseconds, concurrency: concurrency)
    }
}

/// The DNS stage: from companies (and what the Mailgun probe learnt) to
/// deliverability findings, rendered with the location of the field each
/// finding concerns.
enum DeliverabilityRunner {
    struct Outcome {
        var findings: [DeliverabilityFinding]
        var hasErrors: Bool { findings.contains { $0.severity == .error } }
        var failedCompanies: Set<String> { Set(findings.filter { $0.severity == .error }.map(\.company)) }
    }

    /// One input per company that sends mail and is probed.
    static func inputs(_ companies: [Company<ResolvedSecret>], mailgunRecords: [String: [MailgunDNSRecordState]],
                       workspace: Workspace) -> [DeliverabilityInput] {
        companies.filter { $0.probeDisabledReason == nil }.map { company in
            let sending: DeliverabilityInput.Sending
            switch company.provider {
            case .smtp: sending = .smtp(host: company.smtp?.host ?? "")
            case .mailgun:
                let records = mailgunRecords[company.id].map { list in
                    list.map { MailgunDNSRecord(recordType: $0.recordType, name: $0.name, value: $0.value, valid: $0.valid) }
                }
                sending = .mailgun(domain: company.mailgun?.domain ?? "", records: records)
            case .platform: sending = .platform(spfInclude: workspace.platformSPFInclude)
            }
            return DeliverabilityInput(company: company.id, senderDomain: company.sender.domain,
                                       dsarDomain: company.dsarSender?.domain, sending: sending, dkimSelector: company.dkimSelector)
        }
    }

    /// Runs the checks; a resolver that cannot be set up ends the command.
    static func run(_ inputs: [DeliverabilityInput], servers: [String], timeoutMilliseconds: Int, concurrency: Int) -> Outcome {
        guard !inputs.isEmpty else { return Outcome(findings: []) }
        let client: DNSClient
        do {
            client = try DNSClient(configuration: DNSClientConfiguration(servers: servers, timeoutMilliseconds: timeoutMilliseconds,
                                                                          maxConcurrentQueries: max(1, concurrency)))
        } catch {
            Pipeline.fatal("the DNS resolver cannot be used: \(error)", hint: "check --dns-server and probe.dns.servers (host:port)")
        }
        let psl: PublicSuffixList
        do {
            psl = try PublicSuffixList.load()
        } catch {
            Pipeline.fatal("the Public Suffix List cannot be read (\(PublicSuffixList.debianPath)): \(error)",
                           hint: "install Debian's publicsuffix package, or pass --no-dns")
        }
        let checker = DeliverabilityChecker(resolver: client, publicSuffixList: psl)
        let box = FindingsBox()
        let done = DispatchSemaphore(value: 0)
        // The CLI is synchronous; the checks are async on the DNS client's thread.
        Task.detached {
            box.findings = await checker.check(inputs)
            done.signal()
        }
        done.wait()
        return Outcome(findings: box.findings)
    }

    final class FindingsBox: @unchecked Sendable { var findings: [DeliverabilityFinding] = [] }

    /// Where a company's field is written (nil for a saved plan's settings).
    static func locator(_ loaded: LoadResult?) -> (String, String) -> SourceLocation? {
        let marks = Dictionary((loaded?.companies ?? []).map { ($0.company.id, $0.marks) }, uniquingKeysWith: { a, _ in a })
        return { company, field in loaded?.files.location(marks[company]?[field] ?? marks[company]?["company"]) }
    }

    // MARK: Views

    static func text(_ outcome: Outcome, locate: (String, String) -> SourceLocation?, style: Style) -> String {
        guard !outcome.findings.isEmpty else { return "Deliverability: no findings (SPF, DMARC, DKIM, MX).\n" }
        var out = "Deliverability:\n"
        let e = SafeText.escape
        for f in outcome.findings {
            let severity: String = switch f.severity {
            case .error: style.red(style.bold("error"))
            case .warning: style.yellow(style.bold("warning"))
            case .note: style.cyan("note")
            }
            let place = locate(f.company, f.field).map { "\(e($0.description)): " } ?? ""
            out += "\(place)\(severity): \(e(f.company)): \(e(f.message)) [\(e(f.id))]\n"
            out += "  \(style.dim("hint:")) \(e(f.hint))\n"
            if let record = f.record { out += "  \(style.dim("record:")) \(e(record))\n" }
        }
        let errors = outcome.findings.count { $0.severity == .error }
        let warnings = outcome.findings.count { $0.severity == .warning }
        out += "Deliverability: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s").\n"
        return out
    }

    static func json(_ outcome: Outcome, locate: (String, String) -> SourceLocation?) -> [[String: Any]] {
        outcome.findings.map { f in
            var object: [String: Any] = ["id": f.id, "severity": f.severity.rawValue, "company": f.company, "domain": f.domain,
                                         "field": f.field, "message": f.message, "hint": f.hint]
            if let record = f.record { object["record"] = record }
            if !f.details.isEmpty { object["details"] = f.details }
            if let l = locate(f.company, f.field) { object["file"] = l.file; object["line"] = l.line; object["column"] = l.column }
            return object
        }
    }

    /// One line per changed company for the pull-request comment.
    static func markdown(_ outcome: Outcome, companies: [String]) -> String {
        var out = "\n#### Deliverability (SPF, DMARC, DKIM, MX)\n\n"
        for id in companies.sorted() {
            let mine = outcome.findings.filter { $0.company == id }
            let errors = mine.filter { $0.severity == .error }.map(\.id)
            let warnings = mine.filter { $0.severity == .warning }.map(\.id)
            let summary = errors.isEmpty && warnings.isEmpty ? "no findings"
                : ([errors.isEmpty ? nil : "errors: " + errors.joined(separator: ", "),
                    warnings.isEmpty ? nil : "warnings: " + warnings.joined(separator: ", ")].compactMap { $0 }).joined(separator: "; ")
            out += "- \(SafeText.markdownCodeSpan(id)): \(SafeText.markdownCodeSpan(summary))\n"
        }
        return out
    }
}

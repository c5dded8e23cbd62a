import ArgumentParser
import Foundation
import MailformCore
import MailformDNS
import MailformDeliverability
import MailformProbe
import MailformWorkflow
import SPF

/// Flags of the DNS stage (sender-domain checks: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT).
struct DNSFlags: ParsableArguments {
    @Flag(help: "Skip the DNS stage: the SPF, DMARC, DKIM, MX, MTA-STS and TLS-RPT checks of the sender domains.")
    var noDns = false

    @Option(name: .customLong("dns-server"), help: "A resolver to ask, as host:port (repeatable; default: probe.dns.servers, else the system's).")
    var dnsServers: [String] = []
}

extension DNSFlags {
    var settings: DNSSettings {
        DNSSettings.from(noDNS: noDns, servers: dnsServers, environment: ProcessInfo.processInfo.environment)
    }
}

/// How the DNS stage's findings are shown, with the location of the field
/// each finding concerns.
enum DeliverabilityRunner {
    typealias Outcome = DeliverabilityStage.Outcome

    static func locator(_ loaded: LoadResult?) -> (String, String) -> SourceLocation? { DeliverabilityStage.locator(loaded) }

    // MARK: Views

    /// - Parameter onlyErrors: `-q`: the errors (why the run fails) and the summary line.
    static func text(_ outcome: Outcome, locate: (String, String) -> SourceLocation?, style: Style, onlyErrors: Bool = false) -> String {
        guard !outcome.findings.isEmpty else {
            if outcome.checkedCompanies == 0 {
                return "Deliverability: not checked: no company here sends mail of its own, or none whose sending changes (plan --probe checks the companies whose sender, provider or servers change; probe checks all).\n"
            }
            let n = outcome.checkedCompanies
            return "Deliverability: no findings for \(ChangeGroups.number(n)) compan\(n == 1 ? "y" : "ies") (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT).\n"
        }
        var out = onlyErrors ? "" : "Deliverability:\n"
        let e = SafeText.escape
        for f in outcome.findings where !onlyErrors || f.severity == .error {
            let severity: String = switch f.severity {
            case .error: style.red(style.bold("error"))
            case .warning: style.yellow(style.bold("warning"))
            case .note: style.cyan("note")
            }
            let place = locate(f.company, f.field).map { "\(e($0.description)): " } ?? ""
            out += "\(place)\(severity): \(f.company.isEmpty ? "" : e(f.company) + ": ")\(e(f.message)) [\(e(f.id))]\n"
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

    /// The counts of a run, for JSON: what a script checks first.
    static func summary(_ outcome: Outcome) -> [String: Any] {
        ["errors": outcome.findings.count { $0.severity == .error }, "warnings": outcome.findings.count { $0.severity == .warning },
         "notes": outcome.findings.count { $0.severity == .note }, "checked_companies": outcome.checkedCompanies]
    }

    /// One line per changed company for the pull-request comment.
    static func markdown(_ outcome: Outcome, companies: [String]) -> String {
        var out = "\n#### Deliverability (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT)\n\n"
        if let outage = outcome.findings.first(where: { $0.id == DeliverabilityStage.resolverUnavailable }) {
            return out + "- not checked: \(SafeText.markdownCodeSpan(outage.message))\n"
        }
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

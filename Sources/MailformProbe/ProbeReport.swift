import Foundation
import MailformCore

/// Text and JSON views of probe results.
public enum ProbeReport {
    static let dateFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f
    }()

    /// One line per endpoint, a detail line, and the failure's hint with its place.
    public static func text(_ results: [ProbeResult], skipped: [(company: String, reason: String)], style: Style, trace: Bool = false) -> String {
        var out = ""
        for r in results {
            out += line(r, style: style)
            if trace { for entry in r.transcript { out += "      " + style.dim(SafeText.escape(entry)) + "\n" } }
        }
        for (company, reason) in skipped {
            out += "\(style.bold(SafeText.escape(company)))  \(style.dim("skipped: \(SafeText.escape(reason))"))\n"
        }
        out += "\n" + summary(results, skipped: skipped.count) + "\n"
        return out
    }

    public static func line(_ r: ProbeResult, style: Style, indent: String = "") -> String {
        var out = indent
        let status = r.notChecked ? style.yellow("not checked") : r.ok ? style.green("ok") : style.red("FAILED")
        // Everything here may come from a file or a server: escaped.
        let e = SafeText.escape
        out += "\(style.bold(e(r.company)))  \(e(r.endpointPath))  \(e(r.endpoint))  \(status)"
        if let failure = r.failure {
            out += "  \(e(failure.message))\n"
            let place = r.location.map { "\(e($0.description)): " } ?? ""
            out += "\(indent)    \(place)\(style.dim("hint:")) \(e(failure.hint))\n"
        } else {
            let stages = r.stages.map { s -> String in
                s.stage == .tls ? "tls \(r.tlsVersion ?? "") \(s.milliseconds)ms" : "\(s.stage.rawValue) \(s.milliseconds)ms"
            }
            out += "  " + stages.joined(separator: ", ") + "\n"
            var details: [String] = []
            if let expiry = r.certificateExpiry, let days = r.certificateDaysLeft {
                if days < 0 {
                    details.append(style.red("certificate expired on \(dateFormatter.string(from: expiry)) (\(-days) day\(days == -1 ? "" : "s") ago)"))
                } else {
                    let text = "certificate valid until \(dateFormatter.string(from: expiry)) (\(days) day\(days == 1 ? "" : "s"))"
                    details.append(days < 14 ? style.yellow(text) : text)
                }
            }
            if !r.capabilities.isEmpty { details.append("capabilities: " + r.capabilities.map(e).joined(separator: ", ")) }
            if let state = r.domainState { details.append("domain state: \(e(state))") }
            if !details.isEmpty { out += "\(indent)    " + details.joined(separator: "; ") + "\n" }
        }
        for warning in r.warnings { out += "\(indent)    \(style.yellow(style.bold("warning:"))) \(e(warning))\n" }
        for note in r.notes { out += "\(indent)    \(style.yellow("note:")) \(e(note))\n" }
        return out
    }

    public static func summary(_ results: [ProbeResult], skipped: Int) -> String {
        let failed = results.count { !$0.ok }
        if results.isEmpty {
            // Nothing was probed: say so, not "0 endpoints: 0 ok, 0 failed".
            return skipped > 0
                ? "Probe: nothing probed; \(skipped) compan\(skipped == 1 ? "y" : "ies") skipped."
                : "Probe: nothing to probe (none of the companies checked sends through an SMTP server or a provider's API; a plan or apply checks only the companies whose sending settings it changes)."
        }
        let unchecked = results.count { $0.notChecked }
        let warned = results.count { $0.ok && !$0.notChecked && !$0.warnings.isEmpty }
        var text = "Probe: \(results.count) endpoint\(results.count == 1 ? "" : "s"): \(results.count - failed - unchecked) ok"
            + (warned > 0 ? " (\(warned) with warnings)" : "") + ", \(failed) failed"
        if unchecked > 0 { text += ", \(unchecked) not checked (key withheld: pass --send-credentials to check)" }
        let withheld = results.count { $0.credentialsWithheld && !$0.notChecked }
        if withheld > 0 { text += "; \(withheld) checked without credentials" }
        if skipped > 0 { text += "; \(skipped) compan\(skipped == 1 ? "y" : "ies") skipped" }
        return text + "."
    }

    public static func jsonObject(_ r: ProbeResult) -> [String: Any] {
        var object: [String: Any] = [
            "company": r.company, "endpoint_path": r.endpointPath, "endpoint": r.endpoint, "ok": r.ok,
            "stages": r.stages.map { ["stage": $0.stage.rawValue, "ms": $0.milliseconds] as [String: Any] },
            "capabilities": r.capabilities, "notes": r.notes, "warnings": r.warnings,
            "credentials_withheld": r.credentialsWithheld, "checked": !r.notChecked,
        ]
        if let v = r.tlsVersion { object["tls_version"] = v }
        if let e = r.certificateExpiry {
            object["certificate_expiry"] = ISO8601DateFormatter().string(from: e)
            object["certificate_days_left"] = r.certificateDaysLeft
        }
        if let s = r.domainState { object["domain_state"] = s }
        if let l = r.location { object["file"] = l.file; object["line"] = l.line; object["column"] = l.column }
        if let f = r.failure {
            var failure: [String: Any] = ["kind": f.kind.rawValue, "message": f.message, "hint": f.hint]
            if let field = f.field { failure["field"] = field }
            if let stage = f.stage { failure["stage"] = stage.rawValue }
            object["failure"] = failure
        }
        return object
    }

    public static func json(_ results: [ProbeResult], skipped: [(company: String, reason: String)]) -> [String: Any] {
        [
            "results": results.map(jsonObject),
            "skipped": skipped.map { ["company": $0.company, "reason": $0.reason] },
            "summary": ["endpoints": results.count, "ok": results.count { $0.ok && !$0.notChecked }, "failed": results.count { !$0.ok },
                        "not_checked": results.count { $0.notChecked }, "skipped": skipped.count],
        ]
    }
}

/// A one-line progress counter on a terminal (stderr), for runs over a second.
public final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let started = Date()
    private var shown = false
    private let lock = NSLock()

    public init(enabled: Bool) { self.enabled = enabled }

    public func update(_ done: Int, _ total: Int) {
        guard enabled, Date().timeIntervalSince(started) > 1 else { return }
        lock.lock()
        defer { lock.unlock() }
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        Self.show("\rprobing [\(bar)] \(done)/\(total)")
        shown = true
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown { Self.show("\r\u{1B}[K") }
    }

    /// Best effort: a progress line that cannot be written (a closed
    /// terminal) is not an error, and must not crash the run.
    private static func show(_ text: String) {
        var text = text
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

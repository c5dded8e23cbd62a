import Foundation

/// Renders diagnostics as text, JSON or GitHub workflow commands.
public enum DiagnosticRenderer {
    /// `path:line:col: error: message [rule]` and an indented hint, as compilers print.
    public static func text(_ diagnostics: [Diagnostic], style: Style) -> String {
        var out = ""
        for d in diagnostics {
            let severity: String
            switch d.severity {
            case .error: severity = style.red(style.bold("error"))
            case .warning: severity = style.yellow(style.bold("warning"))
            case .note: severity = style.cyan("note")
            }
            // File names and messages (which quote values) are escaped:
            // nothing from a file can move the cursor or start a new log line.
            let place = d.location.map { style.bold(SafeText.escape($0.description)) + ": " } ?? "mailform: "
            // Every `mailform: error:` line ends with a code: a problem with no
            // place and no rule of its own has the code of its family.
            let rule = d.rule.map { " [\(SafeText.escape($0))]" } ?? (d.location == nil ? " [\(ErrorCode.invalidInput)]" : "")
            out += "\(place)\(severity): \(SafeText.escape(d.message))\(rule)\n"
            if let hint = d.hint { out += "  \(style.dim("hint:")) \(SafeText.escape(hint))\n" }
            for related in d.related {
                out += "  \(SafeText.escape(related.location.description)): \(style.cyan("note")): \(SafeText.escape(related.message))\n"
            }
        }
        return out
    }

    /// The summary line: `14 files: 2 errors, 1 warning`.
    public static func summary(files: Int, errors: Int, warnings: Int) -> String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(plural(files, "file")): \(plural(errors, "error")), \(plural(warnings, "warning"))"
    }

    public static func jsonObject(_ d: Diagnostic) -> [String: Any] {
        var object: [String: Any] = ["severity": d.severity.rawValue, "message": d.message]
        if let location = d.location {
            object["file"] = location.file
            object["line"] = location.line
            object["column"] = location.column
        }
        if let hint = d.hint { object["hint"] = hint }
        if let rule = d.rule { object["rule"] = rule }
        if !d.related.isEmpty {
            object["related"] = d.related.map {
                ["file": $0.location.file, "line": $0.location.line, "column": $0.location.column, "message": $0.message] as [String: Any]
            }
        }
        return object
    }

    /// GitHub Actions workflow commands, which annotate the changed lines of a pull request.
    public static func github(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { d in
            let command = d.severity == .error ? "error" : d.severity == .warning ? "warning" : "notice"
            var properties: [String] = []
            if let location = d.location {
                properties.append("file=\(escapeProperty(SafeText.escape(location.file)))")
                properties.append("line=\(location.line)")
                properties.append("col=\(location.column)")
            }
            properties.append("title=\(escapeProperty("mailform" + (d.rule.map { " [\($0)]" } ?? "")))")
            var message = SafeText.escape(d.message)
            if let hint = d.hint { message += "\nhint: \(SafeText.escape(hint))" }
            return "::\(command) \(properties.joined(separator: ","))::\(escapeData(message))\n"
        }.joined()
    }

    /// GitHub's escaping of workflow command data (`%`, CR, LF).
    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

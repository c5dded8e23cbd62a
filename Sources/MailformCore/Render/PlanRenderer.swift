import Foundation
import JSONSchema

/// Views of a ``Plan``: text for people, markdown for a pull-request comment,
/// JSON for machines. None of them computes anything the plan does not hold,
/// and none can show a secret: sensitive fields carry no value to show.
public enum PlanRenderer {
    // MARK: Text

    public static func text(_ plan: Plan, style: Style) -> String {
        var out = ""
        text(plan, style: style) { out += $0 }
        return out
    }

    /// The same text in pieces (a few companies each), so a plan of 100,000
    /// added companies (76 MB of text) is printed and digested without
    /// being held whole.
    public static func text(_ plan: Plan, style: Style, emit: (String) -> Void) {
        if plan.isEmpty {
            emit(style.green("No changes.") + " The store matches the files.\n")
        } else {
            emit("mailform will perform these actions:\n\n")
            // Pieces of 64 companies, rendered on every core, emitted in order.
            let changes = plan.changes
            let piece = 64, group = piece * 64
            for start in stride(from: 0, to: changes.count, by: group) {
                let end = min(start + group, changes.count)
                let pieces = Parallel.map((end - start + piece - 1) / piece) { k in
                    var out = ""
                    for change in changes[(start + k * piece)..<min(start + (k + 1) * piece, end)] {
                        out += companyHeader(change, style: style)
                        out += "\n"
                        if change.action != .delete {
                            for field in change.fields {
                                out += "      "
                                appendFieldLine(field, style: style, to: &out)
                                out += "\n"
                            }
                        }
                        out += "\n"
                    }
                    return out
                }
                pieces.forEach(emit)
            }
        }
        if !plan.unmanaged.isEmpty {
            emit(style.dim("Unmanaged (in the store, in no file; left alone without --prune): ")
                + plan.unmanaged.map(SafeText.escape).joined(separator: ", ") + "\n\n")
        }
        emit(style.bold(plan.summary) + "\n")
    }

    static func companyHeader(_ change: CompanyChange, style: Style) -> String {
        let name = change.name.map { " (\(SafeText.escape($0)))" } ?? ""
        let text = "  \(change.action.symbol) \(SafeText.escape(change.id))\(name)"
        switch change.action {
        case .add: return style.green(text)
        case .change: return style.yellow(text)
        case .delete: return style.red(text)
        }
    }

    /// `~ smtp.port: 25 -> 587`, with secrets as `(sensitive value changed;
    /// now ${env:NAME})`: the value never shows, the reference always does, so
    /// a reviewer sees a company switch to another variable or file.
    public static func fieldLine(_ field: FieldChange, style: Style = .plain) -> String {
        var out = ""
        appendFieldLine(field, style: style, to: &out)
        return out
    }

    /// `fieldLine` appended to `out` (a plan of 10,000 added companies has
    /// 150,000 lines: each made as its own strings cost a tenth of an apply).
    static func appendFieldLine(_ field: FieldChange, style: Style, to out: inout String) {
        func path() { out += SafeText.escape(field.path) }
        func shown(_ value: FieldValue) { value.appendShown(to: &out) }
        func reference() { if let reference = field.desired?.reference { out += "; now "; out += SafeText.escape(reference) } }
        switch (field.current, field.desired) {
        case (nil, let desired?):
            out += style.green("+"); out += " "; path(); out += ": "
            if field.sensitive { out += "(sensitive value"; reference(); out += ")" } else { shown(desired) }
        case (let current?, nil):
            out += style.red("-"); out += " "; path(); out += ": "; shown(current)
        case (let current?, let desired?):
            out += style.yellow("~"); out += " "; path(); out += ": "
            if field.sensitive {
                // The reference always shows: a switch to another variable or
                // file is what a reviewer must see; a value never does.
                if let was = current.reference, let now = desired.reference, was != now {
                    out += "(sensitive; reference "; out += SafeText.escape(was); out += " -> "; out += SafeText.escape(now); out += ")"
                } else if current.reference != nil && current.reference == desired.reference {
                    out += "(sensitive value changed; same reference "; out += SafeText.escape(desired.reference!); out += ")"
                } else {
                    out += "(sensitive value changed"; reference(); out += ")"
                }
            } else { shown(current); out += " -> "; shown(desired) }
        case (nil, nil):
            out += "  "; path()
        }
    }

    // MARK: Markdown

    /// GitHub's limit for one comment.
    public static let commentLimit = 65_535

    /// One pull-request comment: summary, a table, and per-company details
    /// folded; cut to `limit` characters with a note of what was left out.
    public static func markdown(_ plan: Plan, limit: Int = commentLimit) -> String {
        var head = "### mailform plan\n\n**\(plan.summary)**\n\n"
        if !plan.unmanaged.isEmpty {
            let shown = plan.unmanaged.prefix(50).map(SafeText.markdownCodeSpan).joined(separator: ", ")
            let more = plan.unmanaged.count > 50 ? " and \(plan.unmanaged.count - 50) more" : ""
            head += "Unmanaged (in the store, in no file; left alone without `--prune`): \(shown)\(more)\n\n"
        }
        if plan.isEmpty { return head + "No changes. The store matches the files.\n" }
        let reserve = 400
        var budget = limit - head.utf8.count - reserve
        var table = "| company | action | fields |\n| --- | --- | --- |\n"
        var rowsShown = 0
        for change in plan.changes {
            let row = "| \(SafeText.markdownCodeSpan(change.id)) | \(change.action.symbol) \(change.action.rawValue) | \(change.fields.count) |\n"
            if table.utf8.count + row.utf8.count > budget / 2 { break }
            table += row
            rowsShown += 1
        }
        budget -= table.utf8.count
        var details = ""
        var detailsShown = 0
        for change in plan.changes {
            // Values appear only inside <code> (HTML-escaped) and a code block
            // whose fence no value can close; nothing from a file becomes HTML,
            // a link or a mention.
            var block = "<details><summary><code>\(change.action.symbol) \(SafeText.html(change.id))</code>"
            block += change.name.map { " <code>\(SafeText.html($0))</code>" } ?? ""
            block += " (\(change.fields.count) field\(change.fields.count == 1 ? "" : "s"))</summary>\n\n"
            var lines = ""
            for field in change.fields where change.action != .delete { lines += fieldLine(field) + "\n" }
            if change.action == .delete { lines += "- \(SafeText.escape(change.id)): all settings\n" }
            block += SafeText.markdownCodeBlock(lines) + "</details>\n"
            if details.utf8.count + block.utf8.count > budget { break }
            details += block
            detailsShown += 1
        }
        var out = head + table + "\n" + details
        let rowsLeft = plan.changes.count - rowsShown
        let detailsLeft = plan.changes.count - detailsShown
        if rowsLeft > 0 || detailsLeft > 0 {
            out += "\n> **Cut to fit one comment:** \(rowsLeft) table row\(rowsLeft == 1 ? "" : "s") and \(detailsLeft) compan\(detailsLeft == 1 ? "y's" : "ies'") details left out. Run `mailform plan` locally, or see the plan artifact, for the whole plan.\n"
        }
        return out
    }

    // MARK: JSON

    /// The machine form, documented by `schemas/plan.schema.json`, for
    /// `JSONOutput` (its changes are a `JSONOutput.LazyArray`).
    public static func jsonObject(_ plan: Plan) -> [String: Any] {
        [
            "format_version": 1,
            "summary": [
                "add": plan.count(.add), "change": plan.count(.change), "delete": plan.count(.delete),
                "unchanged": plan.unchangedCount,
            ],
            // Each change's object is made as it is written (`JSONOutput.write`).
            "changes": JSONOutput.LazyArray(count: plan.changes.count) { i -> Any in
                let change = plan.changes[i]
                var object: [String: Any] = [
                    "company": change.id, "action": change.action.rawValue, "base_revision": change.baseRevision,
                    // [Any], not [[String: Any]]: the writer takes it without a conversion.
                    "fields": change.fields.map { fieldObject($0) as Any },
                ]
                if let name = change.name { object["name"] = name }
                return object
            },
            "unmanaged": plan.unmanaged,
        ]
    }

    static func fieldObject(_ field: FieldChange) -> [String: Any] {
        let action = field.current == nil ? "add" : field.desired == nil ? "delete" : "change"
        var object: [String: Any] = ["path": field.path, "action": action, "sensitive": field.sensitive]
        if field.sensitive, let reference = field.desired?.reference { object["desired_reference"] = reference }
        if field.sensitive, let reference = field.current?.reference { object["current_reference"] = reference }
        if !field.sensitive {
            if let current = field.current { object["current"] = foundation(current.json) ?? current.display }
            if let desired = field.desired { object["desired"] = foundation(desired.json) ?? desired.display }
        }
        return object
    }

    /// A JSON value as JSONSerialization takes it.
    static func foundation(_ value: JSONValue?) -> Any? {
        switch value {
        case nil: return nil
        case .null?: return NSNull()
        case .bool(let b)?: return b
        case .integer(let i)?: return i
        case .number(let d)?: return d
        case .string(let s)?: return s
        case .array(let items)?: return items.map { foundation($0.value) ?? NSNull() }
        case .object(let members)?:
            return Dictionary(members.map { ($0.key, foundation($0.value.value) ?? NSNull()) }, uniquingKeysWith: { a, _ in a })
        }
    }
}

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
            let grouped = ChangeGroups(plan)
            let changes = plan.changes
            if !grouped.groups.isEmpty {
                emit(style.bold("Shared by several companies:") + "\n\n")
                for group in grouped.groups {
                    var out = groupHeader(group, plan: plan, style: style) + "\n"
                    for k in group.fields.indices {
                        out += "      "
                        if group.mixed.contains(k) { out += style.yellow("~") + String(group.line(k).dropFirst()) } else {
                            appendFieldLine(group.fields[k], style: style, to: &out)
                        }
                        out += "\n"
                    }
                    emit(out + "\n")
                }
                if grouped.listed.contains(true) { emit(style.bold("Each company:") + "\n\n") }
            }
            // Pieces of 64 companies, rendered on every core, emitted in order.
            let piece = 64, group = piece * 64
            for start in stride(from: 0, to: changes.count, by: group) {
                let end = min(start + group, changes.count)
                let pieces = Parallel.map((end - start + piece - 1) / piece) { k in
                    var out = ""
                    for i in (start + k * piece)..<min(start + (k + 1) * piece, end) where grouped.listed[i] {
                        let change = changes[i]
                        out += companyHeader(change, style: style)
                        out += "\n"
                        if let drift = change.drift {
                            out += "      " + style.yellow("! " + SafeText.escape(drift.sentence)) + "\n"
                        }
                        if change.action != .delete {
                            for f in grouped.own[i] {
                                out += "      "
                                appendFieldLine(change.fields[f], style: style, to: &out)
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
        if !plan.adoptedDrift.isEmpty {
            emit(style.dim("Changed outside mailform, and the files already say the same (nothing to revert): ")
                + plan.adoptedDrift.map(SafeText.escape).joined(separator: ", ") + "\n\n")
        }
        let drifted = plan.changes.count { $0.drift != nil }
        if drifted > 0 {
            emit(style.yellow("\(ChangeGroups.count(drifted)) changed outside mailform") + " (the platform's settings page?): this plan reverts those fields to the files' values; to keep them, adopt them into the files: 'mailform export --company ID --out . --force' in the workspace writes the store's values over that company's own file (only the changed values, where it can); review the diff and commit it. A changed secret stays a reference in the file: put the store's value in its secret file or variable.\n\n")
        }
        emit(style.bold(plan.summary) + "\n")
    }

    /// `  ~ 1,000 companies: a, b, c` (every id: text is not cut).
    static func groupHeader(_ group: ChangeGroups.Group, plan: Plan, style: Style) -> String {
        // Ids wrapped at about 100 columns (a line of 1,000 ids was 9,000 characters).
        var text = "  \(group.action.symbol) \(ChangeGroups.count(group.members.count)):"
        var column = text.count
        for (i, member) in group.members.enumerated() {
            let id = SafeText.escape(plan.changes[member].id) + (i == group.members.count - 1 ? "" : ",")
            if column + 1 + id.count > 100 && column > 6 {
                text += "\n      "
                column = 6
            } else {
                text += " "
                column += 1
            }
            text += id
            column += id.count
        }
        if group.action == .delete { text += " (all settings)" }
        return group.action == .delete ? style.red(text) : style.yellow(text)
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

    /// One pull-request comment: summary, what changed outside mailform,
    /// every change group (the lines, then the companies, folded), then each
    /// company's own lines, folded; cut to `limit` characters with a note
    /// of what was left out. The groups' lines come first and are cut last.
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
        var cuts: [String] = []
        // Never cut, and shown whenever anything else is: every field the
        // plan changes, with how many companies, and the existing companies
        // whose endpoints or credentials change (a redirect of a stored
        // password must not hide among thousands of renamed senders).
        let overview = Self.overview(plan)
        budget -= overview.utf8.count
        // Drift: a table, at most a fifth of the comment.
        let drifted = plan.changes.filter { $0.drift != nil }
        var driftPart = ""
        if !drifted.isEmpty {
            driftPart = "#### Changed outside mailform (\(ChangeGroups.count(drifted.count)))\n\n"
                + "The store was changed since mailform wrote these companies (the platform's settings page?). This plan reverts those fields to the files' values; to keep a change, adopt it into the files: `mailform export --company ID --out . --force` in the workspace writes the store's values over that company's own file (only the changed values, where it can); review the diff and commit it. A changed secret stays a reference in the file: put the store's value in its secret file or variable.\n\n"
                + "| company | since store revision | fields changed outside mailform |\n| --- | --- | --- |\n"
            var shown = 0
            for change in drifted {
                let drift = change.drift!
                let row = "| \(SafeText.markdownCodeSpan(change.id)) | \(drift.sinceRevision) | \(SafeText.markdownCodeSpan(String(drift.fieldList.prefix(300)))) |\n"
                if driftPart.utf8.count + row.utf8.count > budget / 5 { break }
                driftPart += row
                shown += 1
            }
            if shown < drifted.count { cuts.append("\(drifted.count - shown) drift row\(drifted.count - shown == 1 ? "" : "s")") }
            driftPart += "\n"
            budget -= driftPart.utf8.count
        }
        let grouped = ChangeGroups(plan)
        // Every group's lines, then (folded) its companies.
        var groupsPart = ""
        if !grouped.groups.isEmpty {
            groupsPart = "#### Change groups (\(grouped.groups.count))\n\nChanges identical across companies, shown once.\n\n"
            var linesPart: [String] = []
            for group in grouped.groups {
                var lines = ""
                for k in group.fields.indices { lines += group.line(k) + "\n" }
                if group.action == .delete { lines = "- all settings\n" }
                linesPart.append("**\(group.action.symbol) \(ChangeGroups.count(group.members.count))**\n\n" + SafeText.markdownCodeBlock(lines))
            }
            let linesSize = linesPart.reduce(0) { $0 + $1.utf8.count }
            // The ids share what the lines leave of two thirds of the budget.
            var idBudget = max(budget * 2 / 3 - linesSize, 0)
            for (g, group) in grouped.groups.enumerated() {
                var part = linesPart[g]
                let ids = group.members.map { plan.changes[$0].id }
                var list = ""
                var listed = 0
                for id in ids {
                    let item = (listed == 0 ? "" : ", ") + id
                    if list.utf8.count + item.utf8.count + 64 > idBudget { break }
                    list += item
                    listed += 1
                }
                if listed < ids.count {
                    list += (listed == 0 ? "" : ", ") + "… and \(ids.count - listed) more"
                    cuts.append("\(ids.count - listed) compan\(ids.count - listed == 1 ? "y id" : "y ids") of a group")
                }
                idBudget -= list.utf8.count
                part += "<details><summary>the \(ChangeGroups.count(group.members.count))</summary>\n\n" + SafeText.markdownCodeBlock(list + "\n") + "</details>\n\n"
                groupsPart += part
            }
            budget -= groupsPart.utf8.count
        }
        var details = ""
        var detailsShown = 0
        let listedCount = grouped.listed.count { $0 }
        for (i, change) in plan.changes.enumerated() where grouped.listed[i] {
            // Values appear only inside <code> (HTML-escaped) and a code block
            // whose fence no value can close; nothing from a file becomes HTML,
            // a link or a mention.
            let own = grouped.own[i]
            var block = "<details><summary><code>\(change.action.symbol) \(SafeText.html(change.id))</code>"
            block += change.name.map { " <code>\(SafeText.html($0))</code>" } ?? ""
            let sharedCount = change.fields.count - own.count
            let count = change.action == .delete ? change.fields.count : own.count
            block += " (\(count) field\(count == 1 ? "" : "s")\(change.action == .change && sharedCount > 0 ? ", and \(sharedCount) in groups" : ""))"
            if change.drift != nil { block += " ⚠ changed outside mailform" }
            block += "</summary>\n\n"
            var lines = ""
            if let drift = change.drift { lines += "! " + SafeText.escape(drift.sentence) + "\n" }
            if change.action != .delete { for f in own { lines += fieldLine(change.fields[f]) + "\n" } }
            if change.action == .delete { lines += "- \(SafeText.escape(change.id)): all settings\n" }
            block += SafeText.markdownCodeBlock(lines) + "</details>\n"
            if details.utf8.count + block.utf8.count > budget { break }
            details += block
            detailsShown += 1
        }
        if detailsShown < listedCount { cuts.append("\(listedCount - detailsShown) compan\(listedCount - detailsShown == 1 ? "y's" : "ies'") details") }
        if !cuts.isEmpty { head += overview }
        var out = head + driftPart + groupsPart
        if listedCount > 0 { out += "#### Each company (\(ChangeGroups.count(listedCount)))\n\n" + details }
        if !cuts.isEmpty {
            out += "\n> **Cut to fit one comment:** \(cuts.joined(separator: ", ")) left out. Run `mailform plan` locally, or see the plan artifact, for the whole plan.\n"
        }
        return out
    }

    /// A settings path with pool names and server indexes folded:
    /// `smtp_pools.*.servers[*].host`.
    static func folded(_ path: String) -> String {
        guard path.hasPrefix("smtp_pools.") else { return path }
        var parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1 { parts[1] = "*" }
        return parts.map { $0.hasPrefix("servers[") ? "servers[*]" : $0 }.joined(separator: ".")
    }

    /// Whether a change of this path changes where mail goes or which
    /// credential is sent there.
    static func isEndpoint(_ path: String) -> Bool {
        let last = path.split(separator: ".").last.map(String.init) ?? path
        return path == "provider" || path.hasPrefix("mailgun.") || path.contains("oauth2.")
            || ["host", "port", "ssl", "starttls", "ssl_trust", "ssl_check_identity", "ssl_protocols", "auth", "username", "password"].contains(last)
    }

    /// The part of a cut comment that is never cut (at most about 9 KB).
    static func overview(_ plan: Plan) -> String {
        var counts: [String: Int] = [:]
        var redirected: [String] = []
        for change in plan.changes {
            let paths = change.paths
            for path in Set(paths.map(folded)) { counts[path, default: 0] += 1 }
            if change.action == .change && paths.contains(where: isEndpoint) { redirected.append(change.id) }
        }
        var out = "#### Every field this plan changes\n\n| field | companies |\n| --- | --- |\n"
        let rows = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        for (path, n) in rows.prefix(100) {
            out += "| \(SafeText.markdownCodeSpan(String(path.prefix(120))))\(isEndpoint(path) ? " ⚠" : "") | \(n) |\n"
        }
        if rows.count > 100 { out += "| … and \(rows.count - 100) more fields | |\n" }
        out += "\n"
        if !redirected.isEmpty {
            let shown = redirected.prefix(200).map(SafeText.markdownCodeSpan).joined(separator: ", ")
            out += "**Existing companies whose endpoints or credentials change (\(ChangeGroups.count(redirected.count))):** \(shown)"
                + (redirected.count > 200 ? " and \(redirected.count - 200) more" : "") + "\n\n"
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
                object["drift"] = change.drift != nil
                if let drift = change.drift {
                    object["drift_fields"] = drift.fields
                    object["drift_removed_fields"] = drift.removedFields
                    object["drift_since_revision"] = drift.sinceRevision
                }
                return object
            },
            "groups": ChangeGroups(plan).groups.map { group -> Any in
                ["action": group.action.rawValue, "companies": group.members.map { plan.changes[$0].id },
                 "fields": group.fields.indices.map { k -> Any in
                     var object = fieldObject(group.fields[k])
                     if group.mixed.contains(k) { object["current_values_differ"] = true; object["action"] = "change" }
                     return object
                 }] as [String: Any]
            },
            "unmanaged": plan.unmanaged,
            "adopted_drift": plan.adoptedDrift,
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

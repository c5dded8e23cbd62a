/// The whole pull-request comment of a plan: what the run planned against,
/// the trusted settings the pull request changes, its notices, the plan,
/// the probe and the DNS stage, and the change set's digest, in at most
/// one comment's characters (GitHub: 65,535), saying what it cut.
///
/// The parts at the top (trusted settings, notices, change set) are small
/// and bounded; the probe and DNS sections get at most a fifth of the limit
/// each and are cut line by line (a code block is cut inside, so it stays
/// closed); the plan gets the rest and cuts itself (`PlanRenderer.markdown`).
public struct PlanComment {
    /// A section below the plan.
    public enum Section {
        /// Plain text shown in a fenced code block.
        case codeBlock(title: String, text: String)
        /// Markdown lines (a list).
        case markdown(String)
    }

    public var plan: Plan
    /// `cs1:…` (``ReviewedChangeSet``).
    public var changeSet: String
    /// What the plan compared with: "snapshot … (store …, store revision N)".
    public var against: String
    /// Trusted settings the pull request's own workspace file changes.
    public var trustedChanges: [String] = []
    /// Notices reviewers must see (a secret fence wider than the default).
    public var notices: [String] = []
    public var sections: [Section] = []
    /// How to apply the reviewed change set after merge.
    public var applyCommand: String?

    public init(plan: Plan, changeSet: String, against: String) {
        self.plan = plan
        self.changeSet = changeSet
        self.against = against
    }

    /// At most this many characters of notices and trusted settings at the top.
    static let topLimit = 6_000

    public func render(limit: Int = PlanRenderer.commentLimit) -> String {
        var top = ""
        if !trustedChanges.isEmpty {
            top += "> [!WARNING]\n> **This pull request changes trusted settings** in its `mailform.yaml`: "
            top += Self.bounded(trustedChanges.map(SafeText.markdownCodeSpan), limit: Self.topLimit / 2)
            top += ".\n> They take effect only after merge; this plan used the base branch's settings. Review them as carefully as code.\n\n"
        }
        if !notices.isEmpty {
            var lines = ""
            for (i, notice) in notices.enumerated() {
                let line = "- " + SafeText.markdownCodeSpan(String(notice.prefix(400))) + "\n"
                if lines.utf8.count + line.utf8.count > Self.topLimit / 2 {
                    lines += "- … and \(notices.count - i) more notice\(notices.count - i == 1 ? "" : "s") (see the job's log)\n"
                    break
                }
                lines += line
            }
            top += "**Notices:**\n\n" + lines + "\n"
        }
        var footer = "\nPlanned against \(SafeText.markdownCodeSpan(against)). Change set: \(SafeText.markdownCodeSpan(changeSet))\n"
        if let applyCommand { footer += "\nAfter merge, apply exactly this change set: \(SafeText.markdownCodeSpan(applyCommand))\n" }
        let share = limit / 5
        var rendered: [String] = []
        for section in sections {
            switch section {
            case .codeBlock(let title, let text):
                rendered.append("\n#### \(title)\n\n" + SafeText.markdownCodeBlock(Self.cutLines(text, to: share - 200, what: "lines")))
            case .markdown(let text):
                rendered.append(Self.cutLines(text, to: share, what: "lines"))
            }
        }
        let used = top.utf8.count + footer.utf8.count + rendered.reduce(0) { $0 + $1.utf8.count }
        let planText = PlanRenderer.markdown(plan, limit: max(limit - used - 64, 2_000))
        var out = planText.replacingOccurrences(of: "### mailform plan\n\n", with: "### mailform plan\n\n" + top, options: .anchored)
        out += rendered.joined() + footer
        // Every part was bounded; this only guards the arithmetic.
        if out.utf8.count > limit { out = Self.cutLines(out, to: limit - 200, what: "characters") }
        return out
    }

    /// Items joined by ", ", as many as fit, then how many more.
    static func bounded(_ items: [String], limit: Int) -> String {
        var out = ""
        for (i, item) in items.enumerated() {
            if out.utf8.count + item.utf8.count > limit { return out + " and \(items.count - i) more" }
            out += (i == 0 ? "" : ", ") + item
        }
        return out
    }

    /// `text` cut at a line end to at most `limit` bytes, with a note of how many lines were left out.
    static func cutLines(_ text: String, to limit: Int, what: String) -> String {
        guard text.utf8.count > limit else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out = ""
        var kept = 0
        for line in lines {
            if out.utf8.count + line.utf8.count + 1 > max(limit - 120, 0) { break }
            out += line + "\n"
            kept += 1
        }
        return out + "… cut to fit one comment: \(lines.count - kept) more lines; see the job's log for all of them\n"
    }
}

import Foundation

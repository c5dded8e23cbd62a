import JSONSchema

/// Applies a company's waivers to what the policy rules found.
///
/// A waiver holds only for a rule the (trusted) workspace lists in
/// `policy.waivable`; then that rule's findings become notes that name the
/// reason and the end date. An unknown rule, one not waivable, a rule
/// waived twice or an expired waiver is a located error (an expired one
/// leaves the rule's findings as they were); a waiver that waives nothing
/// is a warning, so stale waivers do not pile up.
public enum Waivers {
    /// The rule id of the waivers' own findings.
    public static let ruleID = "waiver"

    /// Every rule a waiver may name.
    public static var knownRules: [String] { Policy.rules.map(\.id) }

    /// - Parameters:
    ///   - waivers: the company's waivers, with their marks.
    ///   - findings: what the policy rules reported for the company.
    ///   - today: `YYYY-MM-DD` (UTC); asked only when there are waivers
    ///     (a calendar per company was 2% of a plan's time).
    public static func apply(_ waivers: [Waiver], to findings: [Diagnostic], waivable: Set<String>, today: @autoclosure () -> String,
                             location: (Mark?) -> SourceLocation?) -> [Diagnostic] {
        guard !waivers.isEmpty else { return findings }
        let today = today()
        let known = Set(knownRules)
        var out = findings
        var seen = Set<String>()
        for waiver in waivers {
            let at = location(waiver.mark)
            let rule = SafeText.escape(waiver.rule)
            guard known.contains(waiver.rule) else {
                let near = DidYouMean.closest(to: waiver.rule, among: knownRules)
                out.append(.error("waivers: '\(rule)' is not a rule id", at: at,
                                  hint: near.map { "did you mean '\($0)'?" } ?? "name a rule as diagnostics show it in brackets", rule: ruleID))
                continue
            }
            guard waivable.contains(waiver.rule) else {
                out.append(.error("waivers: rule '\(rule)' is not waivable in this workspace", at: at,
                                  hint: waivable.isEmpty ? "the workspace lists no waivable rules; a reviewer may add '\(rule)' to policy.waivable in mailform.yaml"
                                      : "policy.waivable in mailform.yaml lists \(waivable.sorted().joined(separator: ", "))",
                                  rule: ruleID))
                continue
            }
            guard seen.insert(waiver.rule).inserted else {
                out.append(.error("waivers: rule '\(rule)' is waived twice", at: at, hint: "keep one waiver per rule", rule: ruleID))
                continue
            }
            guard Waiver.isDate(waiver.until) else {
                out.append(.error("waivers: until '\(SafeText.escape(waiver.until))' is not a day of the calendar", at: at,
                                  hint: "write the waiver's last day as YYYY-MM-DD, e.g. 2027-03-31", rule: ruleID))
                continue
            }
            if waiver.expired(today: today) {
                out.append(.error("waivers: the waiver of '\(rule)' expired on \(waiver.until); the rule applies again", at: at,
                                  hint: "fix what the rule reports, or renew the waiver with a new until: date after review", rule: ruleID))
                continue
            }
            var waived = 0
            for i in out.indices where out[i].rule == waiver.rule && out[i].severity != .note {
                out[i].severity = .note
                out[i].message = "waived until \(waiver.until) (\(SafeText.escape(waiver.reason))): " + out[i].message
                out[i].hint = nil
                waived += 1
            }
            if waived == 0 {
                out.append(.warning("waivers: '\(rule)' waives nothing: the rule reports nothing for this company", at: at,
                                    hint: "remove the waiver", rule: ruleID))
            }
        }
        return out
    }
}

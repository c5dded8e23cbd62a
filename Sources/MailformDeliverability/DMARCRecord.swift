/// A parsed `v=DMARC1` record (RFC 7489 section 6.3).
///
/// Parsing never throws: a broken record is still a record — it stops a
/// receiver from falling back to the organisational domain — so what is
/// wrong goes into `problems` and the checker reports `dmarc-invalid`.
struct DMARCRecord: Sendable {
    /// The record as published.
    var text: String
    /// `p=`; nil when missing or not none/quarantine/reject.
    var policy: DMARCPolicy?
    /// `sp=`, the policy for subdomains; nil when absent or invalid.
    var subdomainPolicy: DMARCPolicy?
    /// `np=` (RFC 9989), the policy for subdomains that do not exist (no A,
    /// AAAA or MX); nil when absent or invalid.
    var nonExistentPolicy: DMARCPolicy?
    /// `p=` is missing or invalid, or `sp=`/`np=` invalid, and `rua=` has a
    /// usable address: receivers act as if the record said `p=none` (RFC 7489
    /// section 6.6.3, kept by RFC 9989). With `policy == nil` and this
    /// false, receivers apply no DMARC at all.
    var actsAsNone = false
    /// Tags RFC 9989 removed that the record still carries (`pct`, `rf`,
    /// `ri`), as written: receivers ignore them.
    var removedTags: [(name: String, value: String)]
    /// `t=y`: the owner tests its policy and asks receivers not to apply
    /// it (RFC 9989; `t` replaces what `pct` was used for).
    var testMode: Bool
    /// `psd=`: y (a public suffix operator's record), n (the organisational
    /// domain's own), u or absent (unknown); RFC 9989's tree walk reads it.
    var psd: Character
    var dkimAlignment: DMARCAlignment
    var spfAlignment: DMARCAlignment
    /// `rua=` as published, if any.
    var aggregateReports: String?
    /// Lowercase, one per problem; empty for a good record.
    var problems: [String]
    /// What is wrong with `p=`, `sp=` or `np=` (see `actsAsNone`).
    var policyProblems: [String]
    /// Tag values receivers replace with the tag's default (RFC 9989: an
    /// invalid adkim, aspf, t or psd does not void the record), one per tag.
    var ignored: [String]

    /// Whether `text` is a DMARC record: it starts with the tag `v=DMARC1`
    /// (RFC 9989 section 4.7: the value must match precisely, case
    /// included), followed by `;` or nothing. Other TXT records at `_dmarc`
    /// are discarded by receivers, `v=dmarc1` and `v=DMARC1 p=reject` (no
    /// `;`) too: see `ignoredReason`.
    static func isDMARCRecord(_ text: String) -> Bool {
        guard let (version, rest) = versionTag(text) else { return false }
        return version == "DMARC1" && (rest.isEmpty || rest.unicodeScalars.first == ";")
    }

    /// Why receivers discard a record meant as DMARC (its version tag is
    /// DMARC1 in some case): nil for a DMARC record and for other text.
    static func ignoredReason(_ text: String) -> String? {
        guard let (version, rest) = versionTag(text), !isDMARCRecord(text) else { return nil }
        if version != "DMARC1" { return "whose version is not exactly DMARC1 (it is case-sensitive)" }
        return "where v=DMARC1 is not followed by \";\" (\"\(rest.prefix(20))…\" runs into the version tag)"
    }

    /// A record meant as DMARC that receivers ignore.
    static func isIgnoredVersion(_ text: String) -> Bool { ignoredReason(text) != nil }

    /// The six characters after `v=` when they are DMARC1 in any case, and
    /// what follows them (spaces dropped).
    private static func versionTag(_ text: String) -> (Substring, Substring)? {
        let compact = text.drop { $0 == " " || $0 == "\t" }
        guard compact.first == "v" || compact.first == "V" else { return nil }
        let rest = compact.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { return nil }
        let value = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard value.prefix(6).uppercased() == "DMARC1" else { return nil }
        let after = value.dropFirst(6)
        guard after.isEmpty || [";", " ", "\t"].contains(after.unicodeScalars.first!) else { return nil }
        return (value.prefix(6), after.drop { $0 == " " || $0 == "\t" })
    }

    init(parsing text: String) {
        self.text = text
        let list = TagList(parsing: text)
        var problems = list.problems
        var ignored: [String] = []
        if list.tags.first?.name != "v" || list.tags.first?.value != "DMARC1" {
            problems.append("the record does not start with the tag v=DMARC1 (tags are separated by \";\")")
        }
        func alignment(_ name: String) -> DMARCAlignment {
            guard let value = list[name] else { return .relaxed }
            guard let parsed = DMARCAlignment(rawValue: value.lowercased()) else {
                ignored.append("\(name)=\(value) is not r (relaxed) or s (strict)")
                return .relaxed
            }
            return parsed
        }
        // A missing or invalid p=, or an invalid sp= or np=, is not a broken
        // record: receivers read it as p=none when rua= has a usable address,
        // and apply no DMARC otherwise (RFC 7489 section 6.6.3, kept by RFC 9989).
        var policyProblems: [String] = []
        func policy(_ name: String) -> DMARCPolicy? {
            guard let value = list[name] else { return nil }
            guard let parsed = DMARCPolicy(rawValue: value.lowercased()) else {
                policyProblems.append("\(name)=\(value) is not none, quarantine or reject")
                return nil
            }
            return parsed
        }
        if list["p"] == nil { policyProblems.append("the record has no p= tag") }
        let declared = policy("p")
        let subdomain = policy("sp")
        let nonExistent = policy("np")
        self.policyProblems = policyProblems
        let reportable = (list["rua"] ?? "").split(separator: ",").contains { uri in
            let text = uri.trimmingCharacters(in: .whitespaces).lowercased()
            return (text.hasPrefix("mailto:") && text.contains("@")) || text.hasPrefix("https://")
        }
        if policyProblems.isEmpty {
            self.policy = declared
            self.subdomainPolicy = subdomain
            self.nonExistentPolicy = nonExistent
        } else {
            self.actsAsNone = reportable
            self.policy = reportable ? DMARCPolicy.none : nil
            self.subdomainPolicy = nil
            self.nonExistentPolicy = nil
        }
        self.dkimAlignment = alignment("adkim")
        self.spfAlignment = alignment("aspf")
        // pct, rf and ri are gone in RFC 9989: whatever they say, receivers
        // ignore them (so pct=150 is no error any more, and pct=0 no longer
        // stops the policy: t=y does).
        self.removedTags = ["pct", "rf", "ri"].compactMap { name in list[name].map { (name, $0) } }
        var testMode = false
        if let value = list["t"] {
            switch value.lowercased() {
            case "y": testMode = true
            case "n": testMode = false
            default: ignored.append("t=\(value) is not y (testing) or n")
            }
        }
        self.testMode = testMode
        var psd: Character = "u"
        if let value = list["psd"] {
            switch value.lowercased() {
            case "y": psd = "y"
            case "n": psd = "n"
            case "u": psd = "u"
            default: ignored.append("psd=\(value) is not y, n or u")
            }
        }
        self.psd = psd
        self.aggregateReports = list["rua"]
        self.problems = problems
        self.ignored = ignored
    }

    /// The policy a receiver applies: for a subdomain whose record was found at
    /// a parent, `np=` when the subdomain does not exist (RFC 9989), else `sp=`,
    /// else `p=`; `p=` otherwise.
    func effectivePolicy(forSubdomain isSubdomain: Bool, nonExistent: Bool = false) -> DMARCPolicy? {
        guard isSubdomain else { return policy }
        if nonExistent, let nonExistentPolicy { return nonExistentPolicy }
        return subdomainPolicy ?? policy
    }
}

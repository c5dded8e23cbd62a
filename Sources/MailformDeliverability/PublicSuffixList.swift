import Foundation

/// The Mozilla public suffix list, for DMARC's organisational domain
/// (RFC 7489 section 3.2): the DMARC record of `mail.example.co.uk` may live
/// at `_dmarc.example.co.uk`, and relaxed alignment compares organisational
/// domains. `co.uk` is a suffix, so the answer is `example.co.uk`, not `co.uk`.
///
/// Debian's `publicsuffix` package keeps the list current with the system's
/// updates, so it is read from there rather than bundled and left to rot.
/// Both sections (ICANN and private) are used, as DMARC implementations do.
public struct PublicSuffixList: Sendable {
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// Normal rules (`co.uk`), in ASCII form.
    private let rules: Set<String>
    /// Wildcard rules without their `*.` (`*.ck` is stored as `ck`).
    private let wildcards: Set<String>
    /// Exception rules without their `!` (`!www.ck` is stored as `www.ck`).
    private let exceptions: Set<String>

    /// Reads the list at `path` (the `.dat` text format).
    public static func load(path: String = debianPath) throws -> PublicSuffixList {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PublicSuffixListError("cannot read the public suffix list at \(path) (apt-get install publicsuffix): \(error.localizedDescription)")
        }
        let list = PublicSuffixList(text: String(decoding: data, as: UTF8.self))
        guard list.ruleCount > 0 else {
            throw PublicSuffixListError("the public suffix list at \(path) has no rules")
        }
        return list
    }

    /// Parses the list's text: one rule per line, the first whitespace-separated
    /// word of it; `//` lines are comments. Unicode rules are stored in their
    /// `xn--` form too, so ASCII names match them.
    init(text: String) {
        var rules = Set<String>()
        var wildcards = Set<String>()
        var exceptions = Set<String>()
        for line in text.split(whereSeparator: \.isNewline) {
            guard let word = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first, !word.hasPrefix("//") else { continue }
            var rule = String(word)
            if rule.hasPrefix("!") {
                rule.removeFirst()
                exceptions.insert(DomainNormalizer.normalize(rule))
            } else if rule.hasPrefix("*.") {
                rule.removeFirst(2)
                wildcards.insert(DomainNormalizer.normalize(rule))
            } else {
                rules.insert(DomainNormalizer.normalize(rule))
            }
        }
        self.rules = rules
        self.wildcards = wildcards
        self.exceptions = exceptions
    }

    var ruleCount: Int { rules.count + wildcards.count + exceptions.count }

    /// The public suffix of `domain` (normalised): the list's algorithm —
    /// an exception rule wins, else the matching rule with the most labels,
    /// else the implicit `*` (the last label).
    func publicSuffix(of domain: String) -> String {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !labels.isEmpty else { return domain }
        var suffixLabels = 1 // the implicit "*" rule
        for start in labels.indices {
            let suffix = labels[start...].joined(separator: ".")
            let count = labels.count - start
            if exceptions.contains(suffix) {
                // "!www.ck": www.ck is not a suffix, ck is.
                suffixLabels = count - 1
                return labels.suffix(suffixLabels).joined(separator: ".")
            }
            if count > suffixLabels, rules.contains(suffix) {
                suffixLabels = count
            }
            // "*.ck" matches foo.ck: the wildcard stands for this start label.
            if count > suffixLabels, start + 1 < labels.count, wildcards.contains(labels[(start + 1)...].joined(separator: ".")) {
                suffixLabels = count
            }
        }
        return labels.suffix(suffixLabels).joined(separator: ".")
    }

    /// The organisational domain of `domain`: its public suffix plus one
    /// label (`mail.example.co.uk` → `example.co.uk`). A name that is itself
    /// a public suffix (or shorter) is its own organisational domain, as
    /// RFC 7489 says to fall back to the name when there is nothing above.
    public func organizationalDomain(of domain: String) -> String {
        let name = DomainNormalizer.normalize(domain)
        let suffix = publicSuffix(of: name)
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let suffixCount = suffix.split(separator: ".", omittingEmptySubsequences: false).count
        guard labels.count > suffixCount else { return name }
        return labels.suffix(suffixCount + 1).joined(separator: ".")
    }
}

import JSONSchema

/// "did you mean c000010?" for a `--company` id that matches no company.
public enum CompanySuggestion {
    /// The edit-distance cells measured in all: ids of 7 characters are
    /// measured up to about 200,000 of them; longer ones, fewer.
    static let budget = 10_000_000

    /// " (did you mean ID?)" for the first pattern without wildcards that is
    /// a likely typo (within a third of its length) of one of `ids`, or "".
    public static func note(for patterns: [String], among ids: some Collection<String>) -> String {
        var spent = 0
        for pattern in patterns.prefix(16) where !pattern.contains("*") && !pattern.contains("?") {
            guard !pattern.isEmpty, pattern.utf8.count <= DidYouMean.maxWordLength else { continue }
            let limit = max(1, pattern.count / 3)
            var best: (id: String, distance: Int)?
            for id in ids where id.utf8.count <= DidYouMean.maxWordLength && abs(id.count - pattern.count) <= limit {
                spent += pattern.count * id.count
                if spent > budget { break }
                let d = DidYouMean.distance(pattern, id)
                if d <= limit, best == nil || d < best!.distance || (d == best!.distance && id < best!.id) { best = (id, d) }
            }
            if let best { return " (did you mean \(SafeText.escape(best.id))?)" }
        }
        return ""
    }
}

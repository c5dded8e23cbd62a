/// Picks the closest known name to a misspelt one (Damerau-Levenshtein).
public enum DidYouMean {
    /// Longer words get no suggestion: a typo of a name is short.
    public static let maxWordLength = 64
    /// At most this many candidates are measured per word.
    public static let maxCandidates = 500

    /// The closest candidate within a distance that still looks like a typo:
    /// at most a third of the word's length, and at least 1.
    ///
    /// Bounded for any input (a pull request writes the word): no suggestion
    /// for a word over ``maxWordLength`` characters, candidates whose length
    /// differs by more than the limit are skipped unmeasured (the distance
    /// is at least the difference), and at most ``maxCandidates`` are
    /// measured. The work is at most 64 × 64 × 500 steps.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        guard !word.isEmpty, word.utf8.count <= maxWordLength * 4, word.count <= maxWordLength else { return nil }
        let limit = max(1, word.count / 3)
        let lowered = word.lowercased()
        var best: (String, Int)?
        var measured = 0
        for candidate in candidates {
            guard candidate.utf8.count <= maxWordLength * 4, abs(candidate.count - word.count) <= limit else { continue }
            measured += 1
            if measured > maxCandidates { break }
            let d = distance(lowered, candidate.lowercased())
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

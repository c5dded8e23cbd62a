import Foundation

/// One spelling per domain name, so that `Acme.COM.`, `acme.com` and the
/// Unicode form of an IDN share a cache entry, a public-suffix match and a
/// finding's `domain`.
enum DomainNormalizer {
    /// Trimmed, lowercased, without a trailing dot, each non-ASCII label in
    /// its `xn--` form (a label that cannot be encoded is kept as is; DNS
    /// will then simply not find it).
    static func normalize(_ name: String) -> String {
        var text = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.unicodeScalars.allSatisfy(\.isASCII) else { return text }
        return text.split(separator: ".", omittingEmptySubsequences: false)
            .map { Punycode.asciiLabel(String($0)) ?? String($0) }
            .joined(separator: ".")
    }
}

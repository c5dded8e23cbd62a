import Foundation

/// A `tag=value; tag=value` list, the syntax DKIM key records (RFC 6376
/// section 3.2) and DMARC records (RFC 7489 section 6.4) share.
///
/// Kept in order because both formats care which tag comes first (`v=`).
/// Tag names are compared lowercased; values keep their case (DKIM keys
/// are base64).
struct TagList {
    /// The tags in order, names lowercased, values trimmed.
    var tags: [(name: String, value: String)] = []
    /// Lowercase, stating what does not parse (`"foo" is not tag=value`).
    var problems: [String] = []

    init(parsing text: String) {
        var seen = Set<String>()
        // By scalars: Swift's Character ";" also matches U+037E (GREEK
        // QUESTION MARK, canonically equivalent), which no receiver takes as ";".
        for partScalars in text.unicodeScalars.split(separator: ";", omittingEmptySubsequences: false) {
            let part = String(String.UnicodeScalarView(partScalars))
            let trimmed = part.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue } // "p=none;" ends in an empty part
            guard let equals = trimmed.firstIndex(of: "=") else {
                problems.append("\"\(trimmed)\" is not tag=value")
                continue
            }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else {
                problems.append("\"\(trimmed)\" has no tag name")
                continue
            }
            if !seen.insert(name).inserted {
                problems.append("tag \(name)= appears more than once")
                continue
            }
            tags.append((name, value))
        }
    }

    /// The value of `name` (lowercase), or nil when the tag is absent.
    subscript(name: String) -> String? {
        tags.first { $0.name == name }?.value
    }
}

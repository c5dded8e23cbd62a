import Foundation

/// Zone-file lines for `DeliverabilityFinding.record`, so a user can paste
/// the suggestion into a zone or a DNS provider's form.
enum RecordText {
    /// `name TYPE value`; a TXT value is quoted, and split into strings of
    /// at most 255 bytes because one TXT character-string cannot hold more
    /// (SPF, DMARC and DKIM join the strings back with nothing between).
    static func line(name: String, type: String, value: String) -> String {
        guard type == "TXT" else { return "\(name) \(type) \(value)" }
        return "\(name) TXT \(quoted(value))"
    }

    /// The TXT line for `value` at `name`.
    static func txt(_ name: String, _ value: String) -> String {
        line(name: name, type: "TXT", value: value)
    }

    private static func quoted(_ value: String) -> String {
        var chunks: [String] = []
        var current = ""
        var currentBytes = 0
        for character in value {
            let bytes = character.utf8.count
            if currentBytes + bytes > 255 {
                chunks.append(current)
                current = ""
                currentBytes = 0
            }
            current.append(character)
            currentBytes += bytes
        }
        chunks.append(current)
        return chunks.map { chunk in
            "\"" + chunk.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: " ")
    }
}

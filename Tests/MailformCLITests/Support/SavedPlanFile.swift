import Foundation
import MailformCore
import MailformStore

/// A saved plan of format 3 (JSON Lines) as a test edits it: lines in, and
/// signed again with a key (the store's, or an attacker's).
enum SavedPlanFile {
    /// The plan's lines without the trailer.
    static func body(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        lines.removeLast()
        return lines
    }

    /// `body` signed with `box`: the digest and MAC over every line and its newline.
    static func signed(_ body: [String], with box: SecretBox) -> String {
        let text = body.map { $0 + "\n" }.joined()
        let bytes = Array(text.utf8)
        return text + "{\"digest\":\"sha256:\(Digest.sha256Hex(bytes))\",\"mac\":\"hmac-sha256:\(box.planMAC(bytes))\"}\n"
    }

    /// `text` with `edit` applied to its lines, signed again with `box`.
    static func resigned(_ text: String, with box: SecretBox, _ edit: (String) -> String) -> String {
        signed(body(text).map(edit), with: box)
    }

    /// The plan as one object: the header's fields, `changes` (one object
    /// per change line) and the trailer's `digest` and `mac`.
    static func object(_ text: String) -> [String: Any]? {
        let lines = text.split(separator: "\n").map { Data($0.utf8) }
        guard lines.count >= 2, var object = (try? JSONSerialization.jsonObject(with: lines[0])) as? [String: Any],
              let trailer = (try? JSONSerialization.jsonObject(with: lines[lines.count - 1])) as? [String: Any] else { return nil }
        object["changes"] = lines.dropFirst().dropLast().compactMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
        object.merge(trailer) { a, _ in a }
        return object
    }
}

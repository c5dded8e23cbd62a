/// Makes text from files, stores and servers safe to print.
///
/// Values, file names and server replies are hostile: a carriage return or an
/// escape sequence in a sender name can erase a plan line on a terminal, a
/// newline in a file name can start a GitHub workflow command in a CI log, a
/// backtick run can close a Markdown code block. Every renderer passes such
/// text through here.
public enum SafeText {
    /// Ids for one line of text: the first `limit`, escaped, then "and N
    /// more" (a probe that fails 2,000 companies names 20 of them, not 2,000).
    public static func list(_ ids: [String], limit: Int = 20) -> String {
        let shown = ids.prefix(limit).map(escape).joined(separator: ", ")
        return ids.count > limit ? shown + " and \(ids.count - limit) more" : shown
    }

    /// Control characters (C0, DEL, C1), line and paragraph separators and
    /// bidirectional controls, shown escaped: `\r`, `\n`, `\t`, `\x1b`, `\u{202e}`.
    public static func escape(_ text: String) -> String {
        // Printable ASCII needs nothing (most of a plan: a plan of 10,000
        // added companies escapes 300,000 strings); anything else is looked
        // at scalar by scalar.
        if isPrintableASCII(text) { return text }
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for c in text.unicodeScalars {
            guard needsEscape(c) else { out.unicodeScalars.append(c); continue }
            switch c {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                let hex = String(c.value, radix: 16)
                out += c.value <= 0xFF ? "\\x" + (hex.count == 1 ? "0" : "") + hex : "\\u{\(hex)}"
            }
        }
        return out
    }

    static func isPrintableASCII(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for b in bytes where b < 0x20 || b >= 0x7F { return false }
            return true
        }
    }

    static func needsEscape(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        // Controls, separators, bidirectional controls, and invisible
        // characters that would make a changed value look unchanged.
        // (Also: the combining grapheme joiner, the Hangul fillers, Khmer's
        // invisible vowels, the blank Braille pattern, the interlinear
        // annotation marks and the tag characters, which show as nothing.)
        case 0x00...0x1F, 0x7F...0x9F, 0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x200B...0x200F,
             0x2028...0x202E, 0x2060...0x2069, 0x2800, 0x3164, 0xFEFF, 0xFFA0, 0xFFF9...0xFFFB, 0xE0000...0xE007F: true
        default: false
        }
    }

    /// The longest run of backticks in `text`.
    static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0, current = 0
        for b in text.utf8 {
            if b == 0x60 { current += 1; longest = max(longest, current) } else { current = 0 }
        }
        return longest
    }

    /// A Markdown fenced code block holding `text` (escaped line by line),
    /// fenced by more backticks than any run inside it, so nothing in it can
    /// close the block or become HTML.
    public static func markdownCodeBlock(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }
        var body = lines.joined(separator: "\n")
        if !body.hasSuffix("\n") { body += "\n" }
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(body) + 1))
        return fence + "\n" + body + fence + "\n"
    }

    /// A Markdown code span for a table cell: escaped, fenced by more
    /// backticks than any run inside, `|` escaped so it cannot split the cell.
    public static func markdownCodeSpan(_ text: String) -> String {
        let escaped = escape(text).replacingOccurrences(of: "|", with: "\\|")
        let fence = String(repeating: "`", count: longestBacktickRun(escaped) + 1)
        let pad = escaped.hasPrefix("`") || escaped.hasSuffix("`") ? " " : ""
        return fence + pad + escaped + pad + fence
    }

    /// Text for an HTML element (`<summary>`): escaped, then `&`, `<`, `>`,
    /// `"` and `@` (no mentions) as entities.
    public static func html(_ text: String) -> String {
        var out = ""
        for c in escape(text) {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "@": out += "&#64;"
            default: out.append(c)
            }
        }
        return out
    }
}

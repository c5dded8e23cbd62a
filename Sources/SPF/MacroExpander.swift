/// Expands parsed macro-strings (RFC 7208 section 7.3).
///
/// Parsing already rejected every malformed macro, so expansion cannot fail;
/// what to do with the expanded text (truncate it into a query name, or use
/// it as explanation text) is the caller's business.
public enum MacroExpander {
    public static func expand(_ string: SPFMacroString, in context: SPFMacroContext) -> String {
        var result = ""
        for token in string.tokens {
            switch token {
            case .literal(let text): result += text
            case .macro(let macro): result += expand(macro, in: context)
            }
        }
        return result
    }

    /// One macro: take the value, split it on the delimiters, optionally
    /// reverse, keep the rightmost parts, join with dots, then URL-escape if
    /// the letter was uppercase.
    public static func expand(_ macro: SPFMacro, in context: SPFMacroContext) -> String {
        let value = value(of: macro.letter, in: context)
        let plain = macro.delimiters == ["."] && !macro.reversed && macro.rightmostParts == nil
        var expanded = value
        if !plain {
            var parts = value.split(omittingEmptySubsequences: false, whereSeparator: { macro.delimiters.contains($0) }).map(String.init)
            if macro.reversed { parts.reverse() }
            if let keep = macro.rightmostParts, keep < parts.count { parts = Array(parts.suffix(keep)) }
            expanded = parts.joined(separator: ".")
        }
        return macro.urlEscaped ? urlEscape(expanded) : expanded
    }

    static func value(of letter: SPFMacro.Letter, in context: SPFMacroContext) -> String {
        switch letter {
        case .sender: return context.sender
        case .localPart: return context.localPart
        case .senderDomain: return context.senderDomain
        case .domain: return context.domain
        case .ip: return context.ip.macroLabels.joined(separator: ".")
        case .validatedName: return context.validatedName ?? "unknown"
        case .ipVersion: return context.ip.family == .v4 ? "in-addr" : "ip6"
        case .helo: return context.helo
        case .readableIP: return context.ip.description
        case .receiver: return context.receiver
        case .timestamp: return String(context.timestamp)
        }
    }

    /// Percent-encodes every byte outside RFC 3986's unreserved set
    /// (`ALPHA / DIGIT / "-" / "." / "_" / "~"`), as uppercase macros require.
    public static func urlEscape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}

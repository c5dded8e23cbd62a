/// Checks for the `format` values mailform's schemas use. Unknown formats pass,
/// as JSON Schema requires.
public enum Formats {
    public static let supported: Set<String> = ["email", "hostname", "uri", "ipv4"]

    public static func check(_ format: String, _ value: String) -> Bool {
        switch format {
        case "email": isEmail(value)
        case "hostname": isHostname(value)
        case "uri": isURI(value)
        case "ipv4": isIPv4(value)
        default: true
        }
    }

    /// RFC 5321 mailbox, without quoted local parts or address literals, which
    /// no mail platform accepts as a sender anyway. Non-ASCII local parts
    /// (RFC 6531) are accepted, but never control, format (zero-width, bidi),
    /// space, line or paragraph separator characters: a CR, LF, U+0085 or
    /// U+2028 in an address is a header injection, not a mailbox.
    public static func isEmail(_ value: String) -> Bool {
        // Split on scalars, not Characters: "@" + a combining mark is still "@".
        let scalars = value.unicodeScalars
        guard let at = scalars.firstIndex(of: "@"), scalars.lastIndex(of: "@") == at else { return false }
        let local = scalars[..<at]
        let domain = String(scalars[scalars.index(after: at)...])
        let bytes = Array(String(local).utf8)
        guard !bytes.isEmpty, bytes.count <= 64, bytes.first != 0x2E, bytes.last != 0x2E,
              !zip(bytes, bytes.dropFirst()).contains(where: { $0 == 0x2E && $1 == 0x2E }) else { return false }
        let allowed = Array("!#$%&'*+-/=?^_`{|}~.".utf8)
        for scalar in local {
            if scalar.isASCII {
                let c = UInt8(scalar.value)
                guard (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || allowed.contains(c)
                else { return false }
            } else {
                switch scalar.properties.generalCategory {
                case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .surrogate: return false
                default: break
                }
            }
        }
        return isHostname(domain) && domain.utf8.contains(0x2E)
    }

    /// RFC 1123 host name: dot-separated labels of ASCII letters, digits and '-'
    /// (so no control character, CR, LF or other line end can pass).
    public static func isHostname(_ value: String) -> Bool {
        var name = Array(value.utf8)
        if name.last == 0x2E { name.removeLast() }
        guard !name.isEmpty, name.count <= 253 else { return false }
        for label in name.split(separator: 0x2E, omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63, label.first != 0x2D, label.last != 0x2D else { return false }
            guard label.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
            else { return false }
        }
        return true
    }

    /// An absolute URI: a scheme, ':', and no spaces or control characters.
    public static func isURI(_ value: String) -> Bool {
        guard let colon = value.firstIndex(of: ":"), colon != value.startIndex else { return false }
        let scheme = value[..<colon]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic,
              scheme.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)) })
        else { return false }
        return value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && $0.isASCII && !"<>\"{}|\\^`".unicodeScalars.contains($0) }
    }

    /// Dotted-quad: four decimal numbers 0-255 of ASCII digits, no sign, no leading zero.
    public static func isIPv4(_ value: String) -> Bool {
        let parts = Array(value.utf8).split(separator: 0x2E, omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            guard part.count == 1 || part.first != 0x30 else { return false }
            return part.reduce(0) { $0 * 10 + Int($1 - 0x30) } <= 255
        }
    }
}

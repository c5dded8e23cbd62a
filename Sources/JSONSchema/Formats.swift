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
    /// no mail platform accepts as a sender anyway.
    public static func isEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last else { return false }
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."),
              !local.contains("..") else { return false }
        let allowed = Array("!#$%&'*+-/=?^_`{|}~.".utf8)
        guard local.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 >= 0x80 || allowed.contains($0) })
        else { return false }
        return isHostname(String(domain)) && domain.contains(".")
    }

    /// RFC 1123 host name: dot-separated labels of letters, digits and '-'.
    public static func isHostname(_ value: String) -> Bool {
        var name = Substring(value)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else { return false }
            guard label.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
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

    public static func isIPv4(_ value: String) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard let n = Int(part), (0...255).contains(n), part.allSatisfy(\.isASCII) else { return false }
            return !(part.count > 1 && part.hasPrefix("0"))
        }
    }
}

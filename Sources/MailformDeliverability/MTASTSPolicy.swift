/// An MTA-STS policy (RFC 8461 section 3.2), as served at
/// `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
struct MTASTSPolicy: Sendable, Hashable {
    enum Mode: String, Sendable {
        /// Senders deliver only over TLS to an MX the policy lists.
        case enforce
        /// Senders deliver anyway, and report failures (TLS-RPT).
        case testing
        /// The domain withdraws its policy.
        case none
    }

    var mode: Mode
    /// Seconds a sender keeps the policy.
    var maxAge: Int
    /// `mail.example.com` or `*.example.com`, lowercase, without a trailing dot.
    var mx: [String]

    /// The largest body read (the RFC gives no limit; policies are a few lines).
    static let maxBytes = 64 * 1024
    /// The largest `max_age` (section 3.2: about a year).
    static let maxMaxAge = 31_557_600

    /// Parses a policy body; the error says why senders discard it.
    static func parse(_ body: [UInt8]) -> Result<MTASTSPolicy, RecordProblem> {
        guard let text = String(validating: body, as: UTF8.self) else { return .failure(.init("the policy is not UTF-8 text")) }
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { return .failure(.init("it starts with a byte-order mark (BOM); save it without one")) }
        // A CR not followed by LF ends no line (LF or CRLF do).
        for (i, byte) in body.enumerated() where byte == 0x0D && (i + 1 == body.count || body[i + 1] != 0x0A) {
            return .failure(.init("its lines end in a lone CR (carriage return, or CR CR LF); end them with LF or CRLF"))
        }
        var version: String?, mode: Mode?, maxAge: Int?
        var mx: [String] = []
        // sts-policy-term = LF / CRLF ("\r\n" is one Character in Swift, so
        // it is made "\n" first; a lone CR stays in its line and fails it).
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (number, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingWSP()
            // Byte-wise: the policy is ASCII, and Swift's Character compare
            // would take U+037E for ";" or fold U+212A (KELVIN SIGN) to "k".
            guard line.utf8.allSatisfy({ $0 < 0x80 }) else {
                return .failure(.init("line \(number + 1) has a character that is not ASCII"))
            }
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else {
                return .failure(.init("line \(number + 1) (\"\(SafeLine.excerpt(line))\") is not \"key: value\""))
            }
            // The ABNF: a name of letters, digits, "_", "-", "." (at most 32),
            // ":" right after it, so "version : STSv1" is no field.
            let key = line[..<colon], value = line[line.index(after: colon)...].trimmingWSP()
            guard let first = key.utf8.first, (0x30...0x39).contains(first) || (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first),
                  key.utf8.count <= 32, key.utf8.allSatisfy({ b in (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x5F || b == 0x2D || b == 0x2E }) else {
                return .failure(.init("line \(number + 1) (\"\(SafeLine.excerpt(line))\") is not \"key: value\""))
            }
            switch key {
            case "version":
                guard version == nil else { continue }  // section 3.2: a repeated field's later entries are ignored
                guard value == "STSv1" else { return .failure(.init("version is \"\(SafeLine.excerpt(value))\", not STSv1")) }
                version = String(value)
            case "mode":
                guard mode == nil else { continue }  // section 3.2: a repeated field's later entries are ignored
                guard let parsed = Mode(rawValue: String(value)) else {
                    return .failure(.init("mode is \"\(SafeLine.excerpt(value))\", not enforce, testing or none"))
                }
                mode = parsed
            case "max_age":
                guard maxAge == nil else { continue }  // section 3.2: a repeated field's later entries are ignored
                guard (1...10).contains(value.count), value.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int(value),
                      seconds <= maxMaxAge else {
                    return .failure(.init("max_age is \"\(SafeLine.excerpt(value))\", not a number of seconds up to \(maxMaxAge)"))
                }
                maxAge = seconds
            case "mx":
                let pattern = value.lowercased()
                let name = pattern.hasPrefix("*.") ? String(pattern.dropFirst(2)) : pattern
                guard isHostName(name) else { return .failure(.init("mx \"\(SafeLine.excerpt(value))\" is not a host name or *.domain pattern")) }
                mx.append(pattern.hasSuffix(".") ? String(pattern.dropLast()) : pattern)
            default:
                continue  // sts-policy-extension: ignored
            }
        }
        guard version != nil else { return .failure(.init("it has no \"version: STSv1\" line")) }
        guard let mode else { return .failure(.init("it has no mode line")) }
        guard let maxAge else { return .failure(.init("it has no max_age line")) }
        if mx.isEmpty && mode != .none { return .failure(.init("it has no mx line (one is needed unless mode is none)")) }
        return .success(MTASTSPolicy(mode: mode, maxAge: maxAge, mx: mx))
    }

    /// Whether `host` (an MX exchange) matches a pattern (section 4.1): the
    /// same name, or `*.` and exactly one more label on the left.
    func allows(_ host: String) -> Bool {
        // ASCII case only: a name with other characters matches no pattern.
        var name = String(decoding: host.utf8.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
        if name.hasSuffix(".") { name.removeLast() }
        return mx.contains { pattern in
            guard pattern.hasPrefix("*.") else { return pattern.utf8.elementsEqual(name.utf8) }
            let parent = pattern.dropFirst(2)
            guard let dot = name.firstIndex(of: "."), dot != name.startIndex else { return false }
            return name[name.index(after: dot)...].utf8.elementsEqual(parent.utf8)
        }
    }

    /// Letters, digits and hyphens in dot-separated labels of at most 63, 253 in all.
    static func isHostName(_ name: String) -> Bool {
        let bare = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !bare.isEmpty, bare.utf8.count <= 253 else { return false }
        return bare.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}

/// Short, printable excerpts of hostile text for messages.
enum SafeLine {
    static func excerpt(_ text: Substring, limit: Int = 40) -> String {
        let kept = text.prefix(limit).unicodeScalars.map { (0x20...0x7E).contains($0.value) ? String($0) : "?" }.joined()
        return text.count > limit ? kept + "…" : kept
    }
    static func excerpt(_ text: String, limit: Int = 40) -> String { excerpt(Substring(text), limit: limit) }
}

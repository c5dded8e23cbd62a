/// The `_smtp._tls.<domain>` TXT record (RFC 8460 section 3):
/// `v=TLSRPTv1; rua=mailto:tls@example.com`, where senders report TLS
/// failures (MTA-STS and DANE).
struct TLSRPTRecord: Sendable, Hashable {
    /// `mailto:` and `https:` URIs, in order.
    var rua: [String]

    /// Records meant as TLS-RPT: they start with `v=TLSRPTv1` (case-sensitive).
    static func isCandidate(_ text: String) -> Bool { text.utf8.starts(with: "v=TLSRPTv1".utf8) }

    /// Records senders keep (section 3: the others are discarded before
    /// they are counted): `v=TLSRPTv1`, spaces or tabs, then `;`, by bytes.
    static func isKept(_ text: String) -> Bool {
        guard isCandidate(text) else { return false }
        return text.utf8.dropFirst(10).first { $0 != 0x20 && $0 != 0x09 } == 0x3B
    }

    /// Parses a candidate; the error says why senders discard it.
    static func parse(_ text: String) -> Result<TLSRPTRecord, RecordProblem> {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return .failure(.init("it has a character that is not ASCII")) }
        guard isKept(text) else { return .failure(.init("v=TLSRPTv1 is not followed by \";\"")) }
        var rest = text.dropFirst("v=TLSRPTv1".count)
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard rest.first == ";" else { return .failure(.init("v=TLSRPTv1 is not followed by \";\"")) }
        var rua: [String]?
        for part in rest.split(separator: ";", omittingEmptySubsequences: false) {
            let field = part.trimmingWSP()
            if field.isEmpty { continue }
            guard let equals = field.firstIndex(of: "=") else { return .failure(.init("\"\(SafeLine.excerpt(field))\" is not name=value")) }
            let name = field[..<equals], value = field[field.index(after: equals)...]
            guard name == "rua" else { continue }  // tlsrpt-extension
            var uris: [String] = []
            for uri in value.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingWSP() }) {
                let lower = uri.lowercased()
                guard (lower.hasPrefix("mailto:") && uri.count > 7 && uri.contains("@")) || (lower.hasPrefix("https://") && uri.count > 8),
                      uri.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                    return .failure(.init("rua \"\(SafeLine.excerpt(uri))\" is not a mailto: address or an https: URL"))
                }
                uris.append(String(uri))
            }
            rua = (rua ?? []) + uris  // the ABNF allows the field more than once
        }
        guard let rua, !rua.isEmpty else { return .failure(.init("it has no rua= field (where reports go)")) }
        return .success(TLSRPTRecord(rua: rua))
    }
}

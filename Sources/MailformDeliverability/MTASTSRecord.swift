/// The `_mta-sts.<domain>` TXT record (RFC 8461 section 3.1):
/// `v=STSv1; id=20261207T01;`, which says the domain publishes an MTA-STS
/// policy and names its version.
struct MTASTSRecord: Sendable, Hashable {
    /// 1 to 32 letters and digits; a sender fetches the policy again when it changes.
    var id: String

    /// Records at `_mta-sts.<domain>` meant as MTA-STS: they start with
    /// `v=STSv1` (case-sensitive, as the ABNF's `%s"v=STSv1"`). Senders
    /// keep only those that begin with `v=STSv1;`; the others are reported
    /// as invalid here rather than silently missing.
    static func isCandidate(_ text: String) -> Bool { text.utf8.starts(with: "v=STSv1".utf8) }

    /// Records senders keep (section 3.1: the others are discarded before
    /// they are counted): `v=STSv1`, spaces or tabs, then `;`, by bytes.
    static func isKept(_ text: String) -> Bool {
        guard isCandidate(text) else { return false }
        return text.utf8.dropFirst(7).first { $0 != 0x20 && $0 != 0x09 } == 0x3B
    }

    /// Parses a candidate; the error says why senders discard it.
    static func parse(_ text: String) -> Result<MTASTSRecord, RecordProblem> {
        guard text.hasPrefix("v=STSv1") else { return .failure(.init("it does not begin with v=STSv1")) }
        // The ABNF is ASCII; byte-wise, so U+037E is no ";" (Swift matches them as Characters).
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return .failure(.init("it has a character that is not ASCII")) }
        guard isKept(text) else { return .failure(.init("v=STSv1 is not followed by \";\"")) }
        var rest = text.dropFirst("v=STSv1".count)
        // sts-sep = *WSP ";" *WSP, and at least one field after the version.
        rest = rest.drop { $0 == " " || $0 == "\t" }
        guard rest.first == ";" else { return .failure(.init("v=STSv1 is not followed by \";\"")) }
        var id: String?
        for part in rest.split(separator: ";", omittingEmptySubsequences: false) {
            let field = part.trimmingWSP()
            if field.isEmpty { continue }
            guard let equals = field.firstIndex(of: "=") else { return .failure(.init("\"\(field.prefix(40))\" is not name=value")) }
            let name = String(field[..<equals]), value = field[field.index(after: equals)...]
            if name == "id" {
                guard id == nil else { continue }  // as section 3.2 says of policy fields: the first is kept
                guard (1...32).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                    return .failure(.init("id=\(value.prefix(40)) is not 1 to 32 letters and digits"))
                }
                id = String(value)
            } else {
                // sts-extension: a name of letters, digits, _ - . (at most 32), a value without ; = or spaces.
                guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 32,
                      name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }),
                      !value.isEmpty, value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) && $0 != "=" && $0 != ";" }) else {
                    return .failure(.init("\"\(field.prefix(40))\" is not a valid field"))
                }
            }
        }
        guard let id else { return .failure(.init("it has no id= field")) }
        return .success(MTASTSRecord(id: id))
    }
}

/// Why a record (MTA-STS, TLS-RPT) or a policy is discarded.
struct RecordProblem: Error, Sendable, Hashable {
    var why: String
    init(_ why: String) { self.why = why }
}

extension Substring {
    /// Without spaces and tabs at either end (RFC 5234's WSP).
    func trimmingWSP() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}

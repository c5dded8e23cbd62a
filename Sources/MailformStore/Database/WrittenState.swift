import MailformCore

/// What mailform last wrote of a company (table `written_state`): the
/// digest of its fields as written, and a short hash of each (path, value).
/// Comparing the store's rows with it tells a change made by another writer
/// (the platform's settings page) from one mailform made.
///
/// A secret is compared by its fingerprint and its nonce: another writer
/// that seals a new password gives it a new nonce, even when it leaves
/// mailform's fingerprint column as it was.
struct WrittenState {
    /// `FieldsDigest` of the fields, as 64 hexadecimal digits.
    var digest: String
    /// The 8-hex-digit hash of each (path, value), space-separated.
    var fields: String

    init(_ company: Company<StoredSecret>) {
        let flattened = Self.flatten(company)
        digest = FieldsDigest(flattened).hex
        var scratch: [UInt8] = []
        scratch.reserveCapacity(256)
        var hashes = ""
        hashes.reserveCapacity(flattened.count * 9)
        for (i, field) in flattened.enumerated() {
            if i > 0 { hashes += " " }
            hashes += FieldsDigest(field: field, scratch: &scratch).shortHex
        }
        fields = hashes
    }

    /// The fields as drift compares them (secrets with their nonce).
    static func flatten(_ company: Company<StoredSecret>) -> [(path: String, value: FieldValue)] {
        FieldFlattener.flatten(company) { secret in
            SecretFingerprint(hex: secret.fingerprint.hex + ":" + Hex.encode(secret.sealed.nonce))
        }
    }

    /// 64 lowercase hexadecimal digits.
    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Hashes of 8 lowercase hexadecimal digits, single-spaced; at most
    /// 100,000 of them (a company has some tens of fields).
    static func isFieldList(_ text: String) -> Bool {
        guard text.utf8.count <= 900_000 else { return false }
        if text.isEmpty { return true }
        // Byte by byte: read for every company of a plan.
        var run = 0
        for byte in text.utf8 {
            if byte == 0x20 {
                guard run == 8 else { return false }
                run = 0
            } else {
                guard (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66), run < 8 else { return false }
                run += 1
            }
        }
        return run == 8
    }

    static func hash(_ field: (path: String, value: FieldValue)) -> String {
        FieldsDigest([field]).shortHex
    }

    /// The drift of a company read from the store against what mailform
    /// wrote of it; nil when there is none.
    static func drift(of company: Company<StoredSecret>, since revision: Int, digest: String, fields: String) -> Drift? {
        let flattened = flatten(company)
        guard FieldsDigest(flattened).hex != digest else { return nil }
        var written: [Substring: Int] = [:]
        for hash in fields.split(separator: " ") { written[hash, default: 0] += 1 }
        var changed: [String] = []
        for field in flattened {
            let hash = Substring(Self.hash(field))
            if let n = written[hash], n > 0 {
                written[hash] = n - 1
            } else {
                changed.append(field.path)
            }
        }
        // A changed field leaves one written hash unmatched too: only the
        // written hashes beyond the changed fields are fields removed.
        let removed = max(0, written.values.reduce(0, +) - changed.count)
        return Drift(sinceRevision: revision, fields: changed, removedFields: removed)
    }

    /// The company with each drifted secret's fingerprint made unknown: it
    /// compares unequal to every value, so a plan writes the file's again.
    static func unknowingSecrets(_ company: Company<StoredSecret>, drifted: Set<String>) -> Company<StoredSecret> {
        guard !drifted.isEmpty else { return company }
        return company.mapSecrets { path, secret in
            guard drifted.contains(path) else { return secret }
            var changed = secret
            changed.fingerprint = SecretFingerprint(hex: "outside:" + Hex.encode(secret.sealed.nonce), reference: secret.fingerprint.reference)
            return changed
        }
    }
}

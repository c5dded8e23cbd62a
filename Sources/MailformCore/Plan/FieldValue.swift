/// A secret as the diff sees it: a keyed fingerprint (HMAC-SHA256 with the
/// store key), never the value. Equal fingerprints mean equal secrets.
public struct SecretFingerprint: Hashable, Sendable, Codable {
    public var hex: String
    /// The reference the desired value was read through (`${env:NAME}`), shown
    /// in plans; not part of the comparison. `nil` for values from the store.
    public var reference: String?
    public init(hex: String, reference: String? = nil) {
        self.hex = hex
        self.reference = reference
    }
    public static func == (lhs: SecretFingerprint, rhs: SecretFingerprint) -> Bool { lhs.hex == rhs.hex }
    public func hash(into hasher: inout Hasher) { hasher.combine(hex) }
}

import JSONSchema

/// One flattened setting: how it is shown, and what it is compared by.
public struct FieldValue: Sendable, Equatable {
    /// What a plan shows: `587`, `"smtp.acme.com.br"`, `[TLSv1.2, TLSv1.3]`.
    /// For a sensitive field this is never the value.
    public var display: String
    /// What the diff compares (the fingerprint for secrets, the digest for logo images).
    public var key: String
    public var sensitive: Bool
    /// The typed value for JSON output (`nil` for secrets).
    public var json: JSONValue?
    /// For a desired secret: the reference it is read through.
    public var reference: String?

    public init(display: String, key: String, sensitive: Bool, json: JSONValue? = nil) {
        self.display = display
        self.key = key
        self.sensitive = sensitive
        self.json = json
    }

    public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool { lhs.key == rhs.key && lhs.sensitive == rhs.sensitive }

    static func text(_ s: String) -> FieldValue { FieldValue(display: quote(s), key: "s:" + s, sensitive: false, json: .string(s)) }
    static func int(_ i: Int) -> FieldValue { FieldValue(display: String(i), key: "i:\(i)", sensitive: false, json: .integer(i)) }
    static func bool(_ b: Bool) -> FieldValue {
        FieldValue(display: b ? "true" : "false", key: b ? "b:1" : "b:0", sensitive: false, json: .bool(b))
    }
    static func list(_ items: [String]) -> FieldValue {
        FieldValue(display: "[" + items.joined(separator: ", ") + "]", key: "l:" + items.joined(separator: "\u{1F}"), sensitive: false,
                   json: .array(items.map { JSONNode(.string($0)) }))
    }
    static func secret(_ fingerprint: SecretFingerprint) -> FieldValue {
        var value = FieldValue(display: "(sensitive value)", key: "f:" + fingerprint.hex, sensitive: true)
        value.reference = fingerprint.reference
        return value
    }

    /// `"text"` with `\`, `"` and newlines escaped. Plans of 100,000 companies
    /// quote millions of values, so this avoids Foundation's string search.
    static func quote(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x22 || $0 == 0x0A }) else { return "\"" + s + "\"" }
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}

/// Flattens a company into `path → value`, in a fixed order, so a diff is a
/// walk over two lists and plans read the same way every time.
public enum FieldFlattener {
    public static func flatten(_ c: Company<SecretFingerprint>) -> [(path: String, value: FieldValue)] {
        var out: [(String, FieldValue)] = []
        func add(_ path: String, _ value: FieldValue?) { if let value { out.append((path, value)) } }
        add("name", c.name.map(FieldValue.text))
        add("sender.email", .text(c.sender.email))
        add("sender.name", c.sender.name.map(FieldValue.text))
        switch c.logo {
        case .url(let url)?: add("sender.logo", .text(url))
        case .image(let image)?:
            let size = image.bytes.count < 1024 ? "\(image.bytes.count) B" : String(format: "%.1f KiB", Double(image.bytes.count) / 1024)
            let display = "file \(image.fileName) (\(image.mediaType), \(size), sha256 \(image.sha256.prefix(12)))"
            add("sender.logo", FieldValue(display: display, key: "img:\(image.mediaType):\(image.sha256)", sensitive: false,
                                          json: .string(display)))
        case nil: break
        }
        add("dsar_sender.email", c.dsarSender.map { .text($0.email) })
        add("dsar_sender.name", c.dsarSender?.name.map(FieldValue.text))
        add("provider", .text(c.provider.rawValue))
        if let smtp = c.smtp { server("smtp", smtp, &out) }
        if let mailgun = c.mailgun {
            add("mailgun.domain", .text(mailgun.domain))
            add("mailgun.api_key", .secret(mailgun.apiKey))
            add("mailgun.region", .text(mailgun.region.rawValue))
        }
        for pool in c.pools.sorted(by: { $0.name < $1.name }) {
            let base = "smtp_pools.\(pool.name)"
            add("\(base).use_for", .list(pool.useFor.map(\.rawValue)))
            add("\(base).strategy", .text(pool.strategy.rawValue))
            for (i, s) in pool.servers.enumerated() { server("\(base).servers[\(i)]", s, &out) }
        }
        add("probe", c.probeDisabledReason.map { .text("off: " + $0) })
        return out
    }

    static func server(_ base: String, _ s: SMTPServer<SecretFingerprint>, _ out: inout [(String, FieldValue)]) {
        SMTPServerShape.flatten(base, s, into: &out)
    }
}

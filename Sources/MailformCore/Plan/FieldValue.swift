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

extension SecretFingerprint {
    /// A secret compared by its reference alone: a plan against a snapshot
    /// holds no value. `nil` (a store row written before references were
    /// recorded) compares unequal to every reference.
    public static func byReference(_ reference: String?) -> SecretFingerprint {
        SecretFingerprint(hex: "ref:" + (reference ?? "?"), reference: reference)
    }
}

import JSONSchema

/// One flattened setting: how it is shown, and what it is compared by.
///
/// The typed value is kept; its display, comparison key and JSON are made
/// only when asked. A plan compares about 40 values per company and shows
/// only the changed ones: making three strings for each of them was most
/// of a 100,000-company plan's allocations.
public struct FieldValue: Sendable, Equatable {
    enum Storage: Sendable, Equatable {
        case text(String)
        case int(Int)
        case bool(Bool)
        case list([String])
        case secret(String)
        /// A value with its own display and key (an image logo, a saved
        /// plan's display). Boxed: it is rare, and inline it made every
        /// value of a plan 72 bytes instead of 32.
        indirect case shown(display: String, key: String, json: JSONValue?)

        static func == (lhs: Storage, rhs: Storage) -> Bool {
            switch (lhs, rhs) {
            case let (.text(a), .text(b)): a == b
            case let (.int(a), .int(b)): a == b
            case let (.bool(a), .bool(b)): a == b
            case let (.list(a), .list(b)): a == b
            case let (.secret(a), .secret(b)): a == b
            case let (.shown(_, a, _), .shown(_, b, _)): a == b
            default: false
            }
        }
    }

    let storage: Storage
    public var sensitive: Bool
    /// For a desired secret: the reference it is read through.
    public var reference: String? {
        get { referenceBox?.text }
        set { referenceBox = newValue.map(ReferenceBox.init) }
    }
    /// Boxed for the same reason as `shown`: most values have none.
    private var referenceBox: ReferenceBox?

    private final class ReferenceBox: Sendable {
        let text: String
        init(_ text: String) { self.text = text }
    }

    init(_ storage: Storage, sensitive: Bool = false) {
        self.storage = storage
        self.sensitive = sensitive
    }

    public init(display: String, key: String, sensitive: Bool, json: JSONValue? = nil) {
        self.init(.shown(display: display, key: key, json: json), sensitive: sensitive)
    }

    /// What a plan shows: `587`, `"smtp.acme.com.br"`, `[TLSv1.2, TLSv1.3]`.
    /// For a sensitive field this is never the value.
    public var display: String {
        switch storage {
        case .text(let s): Self.quote(s)
        case .int(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        case .list(let items): "[" + items.joined(separator: ", ") + "]"
        case .secret: "(sensitive value)"
        case .shown(let display, _, _): display
        }
    }

    /// What the diff compares (the fingerprint for secrets, the digest for logo images).
    public var key: String {
        switch storage {
        case .text(let s): "s:" + s
        case .int(let i): "i:\(i)"
        case .bool(let b): b ? "b:1" : "b:0"
        case .list(let items): "l:" + items.joined(separator: "\u{1F}")
        case .secret(let hex): "f:" + hex
        case .shown(_, let key, _): key
        }
    }

    /// The typed value for JSON output (`nil` for secrets).
    public var json: JSONValue? {
        switch storage {
        case .text(let s): .string(s)
        case .int(let i): .integer(i)
        case .bool(let b): .bool(b)
        case .list(let items): .array(items.map { JSONNode(.string($0)) })
        case .secret: nil
        case .shown(_, _, let json): json
        }
    }

    public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool { lhs.sensitive == rhs.sensitive && lhs.storage == rhs.storage }

    static func text(_ s: String) -> FieldValue { FieldValue(.text(s)) }
    static func int(_ i: Int) -> FieldValue { FieldValue(.int(i)) }
    static func bool(_ b: Bool) -> FieldValue { FieldValue(.bool(b)) }
    static func list(_ items: [String]) -> FieldValue { FieldValue(.list(items)) }
    static func secret(_ fingerprint: SecretFingerprint) -> FieldValue {
        var value = FieldValue(.secret(fingerprint.hex), sensitive: true)
        value.reference = fingerprint.reference
        return value
    }

    /// `SafeText.escape(display)` appended to `out`: what a plan's line
    /// shows. A text of printable ASCII without `\` or `"` (nearly every
    /// one) is appended as it is, without the two strings in between.
    func appendShown(to out: inout String) {
        if case .text(let s) = storage {
            var copy = s
            let plain = copy.withUTF8 { bytes in
                for b in bytes where b < 0x20 || b >= 0x7F || b == 0x5C || b == 0x22 { return false }
                return true
            }
            if plain {
                out += "\""
                out += s
                out += "\""
                return
            }
        }
        out += SafeText.escape(display)
    }

    /// `"text"` with `\`, `"` and newlines escaped. Plans of 100,000 companies
    /// quote millions of values, so this avoids Foundation's string search.
    static func quote(_ s: String) -> String {
        var copy = s
        let plain = copy.withUTF8 { bytes in
            for b in bytes where b == 0x5C || b == 0x22 || b == 0x0A { return false }
            return true
        }
        guard !plain else { return "\"" + s + "\"" }
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
        flatten(c, fingerprint: { $0 })
    }

    /// The same for any secret type that carries a fingerprint (the store's).
    public static func flatten<S>(_ c: Company<S>, fingerprint: (S) -> SecretFingerprint) -> [(path: String, value: FieldValue)] {
        var out: [(String, FieldValue)] = []
        func add(_ path: String, _ value: FieldValue?) { if let value { out.append((path, value)) } }
        let scalars = c.scalars
        func section(_ section: CompanyField.Section) {
            for field in CompanyShape.fields(in: section) { add(field.key, field.value(scalars).map(FieldValue.text)) }
        }
        section(.head)
        switch c.logo {
        case .url(let url)?: add("sender.logo", .text(url))
        case .image(let image)?:
            let size = image.bytes.count < 1024 ? "\(image.bytes.count) B" : String(format: "%.1f KiB", Double(image.bytes.count) / 1024)
            let display = "file \(image.fileName) (\(image.mediaType), \(size), sha256 \(image.sha256.prefix(12)))"
            add("sender.logo", FieldValue(display: display, key: "img:\(image.mediaType):\(image.sha256)", sensitive: false,
                                          json: .string(display)))
        case nil: break
        }
        section(.body)
        if let smtp = c.smtp { SMTPServerShape.flatten("smtp", smtp, fingerprint: fingerprint, into: &out) }
        for settings in c.apis {
            // In the provider's field order (`mailgun.domain`, `.api_key`, `.region`).
            var plain = 0, secret = 0
            for field in settings.scheme.fields {
                let path = settings.section + "." + field.name
                if field.isSecret {
                    add(path, .secret(fingerprint(settings.secrets[secret])))
                    secret += 1
                } else {
                    add(path, settings.values[plain].map(FieldValue.text))
                    plain += 1
                }
            }
        }
        for pool in c.pools.sorted(by: { $0.name < $1.name }) {
            let base = "smtp_pools.\(pool.name)"
            add("\(base).use_for", .list(pool.useFor.map(\.rawValue)))
            add("\(base).strategy", .text(pool.strategy.rawValue))
            for (i, s) in pool.servers.enumerated() { SMTPServerShape.flatten("\(base).servers[\(i)]", s, fingerprint: fingerprint, into: &out) }
        }
        add("probe", c.probeDisabledReason.map { .text("off: " + $0) })
        for waiver in c.waivers { add(waiver.path, .text(waiver.shown)) }
        return out
    }

}

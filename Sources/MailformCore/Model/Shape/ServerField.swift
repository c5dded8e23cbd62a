import JSONSchema

/// A field's value, whatever its kind, for the code that treats every field
/// the same way: the decoder, the flattener, the store rows, the YAML writer
/// and saved plans.
public enum FieldScalar: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case boolean(Bool)
    case list([String])
}

/// One field of an SMTP server, described once.
///
/// Its `key` is its name under the server in a company file (`port`,
/// `oauth2.tenant`); everything else is derived from it: the plan path
/// (`smtp.port`, `smtp_pools.relay.servers[0].oauth2.tenant`), the store
/// column (`oauth2_tenant`; for a secret `oauth2_client_secret_secret`, which
/// holds the `secrets.path`), the saved-plan key, the exported variable of a
/// secret, and the credential gate's notion of "the same endpoint". Before
/// this table, the server's shape was written out in eleven places, and two
/// bugs came from copies that disagreed.
///
/// A class: every company's flattening walks the table, and copying a struct
/// of three closures and three strings per field was a tenth of a plan's
/// reference counting.
public final class ServerField: Sendable {
    public enum Kind: Sendable, Equatable {
        case text, integer, boolean, list
        /// A secret reference in files; encrypted in the store; a fingerprint in plans.
        case secret(envSuffix: String)
    }

    public let key: String
    public let kind: Kind
    public let get: @Sendable (SMTPSettings) -> FieldScalar?
    public let set: @Sendable (inout SMTPSettings, FieldScalar?) -> Bool
    /// The value when the file leaves the field out; it may depend on the
    /// fields decoded before it and on which secrets are given.
    public let fallback: @Sendable (SMTPSettings, _ secrets: Set<String>) -> FieldScalar?

    public let isSecret: Bool
    /// The store column: the key with `.` as `_`; a secret's column holds its
    /// `secrets.path`. Computed once: rows of 100,000 companies read it often.
    public let column: String
    /// The key's parts (`oauth2`, `tenant`), split once.
    public let parts: [String]

    init(key: String, kind: Kind, get: @escaping @Sendable (SMTPSettings) -> FieldScalar?,
         set: @escaping @Sendable (inout SMTPSettings, FieldScalar?) -> Bool,
         fallback: @escaping @Sendable (SMTPSettings, Set<String>) -> FieldScalar?) {
        self.key = key
        self.kind = kind
        self.get = get
        self.set = set
        self.fallback = fallback
        if case .secret = kind { isSecret = true } else { isSecret = false }
        parts = key.split(separator: ".").map(String.init)
        let base = String(key.map { $0 == "." ? "_" : $0 })
        column = isSecret ? base + "_secret" : base
    }

    /// The secret's part of an exported variable name: `PASSWORD`, `OAUTH2_CLIENT_SECRET`.
    public var envSuffix: String? { if case .secret(let suffix) = kind { suffix } else { nil } }

    public func value(_ settings: SMTPSettings) -> FieldScalar? { get(settings) }

    // MARK: Builders

    public static func text(_ key: String, _ path: WritableKeyPath<SMTPSettings, String> & Sendable,
                            fallback: @escaping @Sendable (SMTPSettings, Set<String>) -> String? = { _, _ in nil }) -> ServerField {
        ServerField(key: key, kind: .text, get: { .text($0[keyPath: path]) }, set: { s, v in
            guard case .text(let t)? = v else { return false }
            s[keyPath: path] = t
            return true
        }, fallback: { s, secrets in fallback(s, secrets).map(FieldScalar.text) })
    }

    public static func optionalText(_ key: String, _ path: WritableKeyPath<SMTPSettings, String?> & Sendable) -> ServerField {
        ServerField(key: key, kind: .text, get: { $0[keyPath: path].map(FieldScalar.text) }, set: { s, v in
            switch v {
            case .text(let t)?: s[keyPath: path] = t
            case nil: s[keyPath: path] = nil
            default: return false
            }
            return true
        }, fallback: { _, _ in nil })
    }

    /// A closed set of words (`starttls: required`), typed in the model.
    public static func word<E: RawRepresentable & Sendable>(_ key: String, _ path: WritableKeyPath<SMTPSettings, E> & Sendable,
                                                            fallback: @escaping @Sendable (SMTPSettings, Set<String>) -> E)
    -> ServerField where E.RawValue == String {
        ServerField(key: key, kind: .text, get: { .text($0[keyPath: path].rawValue) }, set: { s, v in
            guard case .text(let t)? = v, let e = E(rawValue: t) else { return false }
            s[keyPath: path] = e
            return true
        }, fallback: { s, secrets in .text(fallback(s, secrets).rawValue) })
    }

    public static func optionalWord<E: RawRepresentable & Sendable>(_ key: String, _ path: WritableKeyPath<SMTPSettings, E?> & Sendable)
    -> ServerField where E.RawValue == String {
        ServerField(key: key, kind: .text, get: { $0[keyPath: path].map { .text($0.rawValue) } }, set: { s, v in
            switch v {
            case .text(let t)?:
                guard let e = E(rawValue: t) else { return false }
                s[keyPath: path] = e
            case nil: s[keyPath: path] = nil
            default: return false
            }
            return true
        }, fallback: { _, _ in nil })
    }

    public static func integer(_ key: String, _ path: WritableKeyPath<SMTPSettings, Int> & Sendable,
                               fallback: @escaping @Sendable (SMTPSettings) -> Int) -> ServerField {
        ServerField(key: key, kind: .integer, get: { .integer($0[keyPath: path]) }, set: { s, v in
            guard case .integer(let i)? = v else { return false }
            s[keyPath: path] = i
            return true
        }, fallback: { s, _ in .integer(fallback(s)) })
    }

    public static func boolean(_ key: String, _ path: WritableKeyPath<SMTPSettings, Bool> & Sendable,
                               fallback: @escaping @Sendable (SMTPSettings) -> Bool) -> ServerField {
        ServerField(key: key, kind: .boolean, get: { .boolean($0[keyPath: path]) }, set: { s, v in
            guard case .boolean(let b)? = v else { return false }
            s[keyPath: path] = b
            return true
        }, fallback: { s, _ in .boolean(fallback(s)) })
    }

    /// A list; `omitEmpty` leaves an empty list out of plans and files (`ssl_trust`).
    public static func list(_ key: String, _ path: WritableKeyPath<SMTPSettings, [String]> & Sendable, omitEmpty: Bool = false,
                            fallback: @escaping @Sendable (SMTPSettings) -> [String] = { _ in [] }) -> ServerField {
        ServerField(key: key, kind: .list, get: { s in
            let items = s[keyPath: path]
            return omitEmpty && items.isEmpty ? nil : .list(items)
        }, set: { s, v in
            switch v {
            case .list(let items)?: s[keyPath: path] = items
            case nil: s[keyPath: path] = []
            default: return false
            }
            return true
        }, fallback: { s, _ in .list(fallback(s)) })
    }

    /// A secret slot: the value lives in `SMTPServer.secrets[key]`.
    public static func secret(_ key: String, envSuffix: String) -> ServerField {
        ServerField(key: key, kind: .secret(envSuffix: envSuffix), get: { _ in nil }, set: { _, _ in true }, fallback: { _, _ in nil })
    }
}

extension FieldScalar {
    /// The flattened form a plan shows and compares.
    var fieldValue: FieldValue {
        switch self {
        case .text(let t): .text(t)
        case .integer(let i): .int(i)
        case .boolean(let b): .bool(b)
        case .list(let items): .list(items)
        }
    }

    /// As JSON, for saved plans.
    var json: JSONValue {
        switch self {
        case .text(let t): .string(t)
        case .integer(let i): .integer(i)
        case .boolean(let b): .bool(b)
        case .list(let items): .array(items.map { JSONNode(.string($0)) })
        }
    }

    /// From a JSON value of the field's kind (a company file or a saved plan);
    /// nil when it is of another kind.
    init?(json: JSONValue, kind: ServerField.Kind) {
        switch (kind, json) {
        case (.text, .string(let t)): self = .text(t)
        case (.integer, .integer(let i)): self = .integer(i)
        case (.integer, .number(let d)) where d.rounded() == d && abs(d) < 1e9: self = .integer(Int(d))
        case (.boolean, .bool(let b)): self = .boolean(b)
        // `ssl_trust: "*"` is the one list a file may write as a single word.
        case (.list, .string(let t)): self = .list([t])
        case (.list, .array(let items)):
            var texts: [String] = []
            for item in items {
                guard let t = item.value.stringValue else { return nil }
                texts.append(t)
            }
            self = .list(texts)
        default: return nil
        }
    }
}

extension ServerField {
    /// A text field an auth method adds (kept in `SMTPSettings.extra`).
    public static func extraText(_ key: String) -> ServerField {
        ServerField(key: key, kind: .text, get: { $0.extra[key] }, set: { s, v in
            switch v {
            case .text?: s.extra[key] = v
            case nil: s.extra[key] = nil
            default: return false
            }
            return true
        }, fallback: { _, _ in nil })
    }

    /// A closed set of words an auth method adds (kept in `SMTPSettings.extra`).
    public static func extraWord<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> ServerField where E.RawValue == String {
        // The accepted words, taken once: the closure holds strings, not the metatype.
        let accepts: @Sendable (String) -> Bool = { [words = Set(E.allCases.map(\.rawValue))] in words.contains($0) }
        return ServerField(key: key, kind: .text, get: { $0.extra[key] }, set: { s, v in
            switch v {
            case .text(let t)?:
                guard accepts(t) else { return false }
                s.extra[key] = v
            case nil: s.extra[key] = nil
            default: return false
            }
            return true
        }, fallback: { _, _ in nil })
    }
}

extension SMTPSettings {
    /// The text an auth method keeps under `key`.
    public func extraText(_ key: String) -> String? {
        if case .text(let t)? = extra[key] { return t }
        return nil
    }
}

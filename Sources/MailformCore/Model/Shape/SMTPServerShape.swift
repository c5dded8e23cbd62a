import JSONSchema

/// The shape of an SMTP server, described once: the common fields and the
/// fields of every auth method (`SMTPAuthSchemes`), in the order plans and
/// files show them. The schema file stays the source of truth for what is
/// valid; this table is what every other stage derives from.
public enum SMTPServerShape {
    public static let fields: [ServerField] = {
        let common: [ServerField] = [
            .text("host", \.host),
            .integer("port", \.port, fallback: { $0.ssl ? 465 : 587 }),
            .optionalText("username", \.username),
            .word("auth", \.auth, fallback: { _, secrets in secrets.contains("password") ? .password : .none }),
        ]
        let tls: [ServerField] = [
            // With implicit TLS, STARTTLS makes no sense: its default becomes off.
            .word("starttls", \.starttls, fallback: { s, _ in s.ssl ? .off : .required }),
            .boolean("ssl", \.ssl, fallback: { _ in false }),
            .list("ssl_trust", \.sslTrust, omitEmpty: true),
            .boolean("ssl_check_identity", \.sslCheckIdentity, fallback: { _ in true }),
            .list("ssl_protocols", \.sslProtocols, fallback: { _ in ["TLSv1.2", "TLSv1.3"] }),
        ]
        return common + SMTPAuthSchemes.all.flatMap(\.fields) + tls
    }()

    /// The fields that are secrets, in order.
    public static let secretKeys: [String] = fields.filter(\.isSecret).map(\.key)

    public static let settingFields: [ServerField] = fields.filter { !$0.isSecret }

    static let byKey: [String: ServerField] = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0) })

    public static func field(_ key: String) -> ServerField? { byKey[key] }

    /// Fields whose defaults depend on others are decoded after them.
    static let decodeOrder: [ServerField] = {
        let first = ["ssl"]
        return fields.filter { first.contains($0.key) } + fields.filter { !first.contains($0.key) }
    }()

    // MARK: Flattening

    /// `path.key → value` for a plan, secrets as fingerprints.
    public static func flatten<S>(_ base: String, _ s: SMTPServer<S>, fingerprint: (S) -> SecretFingerprint,
                                  into out: inout [(String, FieldValue)]) {
        // The main account's paths are made once and shared by every
        // company (a plan of 100,000 companies holds millions of them).
        let main = base == "smtp"
        for (i, field) in fields.enumerated() {
            if field.isSecret {
                if let secret = s.secrets[field.key] {
                    out.append((main ? mainPaths[i] : base + "." + field.key, .secret(fingerprint(secret))))
                }
            } else if let value = field.get(s.settings) {
                out.append((main ? mainPaths[i] : base + "." + field.key, value.fieldValue))
            }
        }
    }

    /// `smtp.<key>` for every field, in order.
    static let mainPaths: [String] = fields.map { "smtp." + $0.key }

    /// Everything about a server except its secrets, as one string: two
    /// servers with equal identities are the same endpoint for the credential
    /// gate. Length-prefixed, so no value can shift into another field.
    public static func identity(_ settings: SMTPSettings) -> String {
        var out = ""
        func field(_ text: String) { out += "\(text.utf8.count):\(text)" }
        for f in settingFields {
            field(f.key)
            switch f.get(settings) {
            case .text(let t)?: field("t" + (f.key == "host" ? t.lowercased() : t))
            case .integer(let i)?: field("i\(i)")
            case .boolean(let b)?: field(b ? "b1" : "b0")
            // Order of a list does not change who may read the secret.
            case .list(let items)?: field("l" + items.sorted().map { "\($0.utf8.count):\($0)" }.joined())
            case nil: field("-")
            }
        }
        return out
    }

    // MARK: Decoding

    public struct DecodeFailure: MailformError {
        public var key: String
        public var node: JSONNode?
        public var code: ErrorCode { .settingUnreadable }
        public var message: String { "\(key) does not fit its field" }
        public var description: String { message }
    }

    /// The server at `node` of a schema-valid tree; `reference` reads a secret
    /// field. Missing fields take their defaults; a value that does not fit
    /// its field fails (never a dropped value).
    /// - Throws: a decoding failure for a value that does not fit its field, or what `reference` throws.
    public static func decode<S>(_ node: JSONNode, reference: (String, JSONNode) throws -> S) throws -> SMTPServer<S> {
        var settings = SMTPSettings()
        var secrets: [String: S] = [:]
        for field in fields where field.isSecret {
            if let child = child(node, field.parts) { secrets[field.key] = try reference(field.key, child) }
        }
        let present = Set(secrets.keys)
        for field in decodeOrder where !field.isSecret {
            if let child = child(node, field.parts) {
                guard let value = FieldScalar(json: child.value, kind: field.kind), field.set(&settings, value) else {
                    throw DecodeFailure(key: field.key, node: child)
                }
            } else if let value = field.fallback(settings, present) {
                guard field.set(&settings, value) else { throw DecodeFailure(key: field.key, node: node) }
            }
        }
        settings.host = settings.host.lowercased()
        return SMTPServer(settings: settings, secrets: secrets)
    }

    /// The node at a key's parts (`oauth2`, `tenant`).
    static func child(_ node: JSONNode, _ parts: [String]) -> JSONNode? {
        var current: JSONNode? = node
        for part in parts { current = current?[part] }
        return current
    }
}

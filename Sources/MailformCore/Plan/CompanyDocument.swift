/// A secret in a saved plan: the reference, the file it is relative to, and
/// its keyed fingerprint — never the value.
public struct PlannedSecret: Sendable, Codable, Equatable {
    public var reference: String
    /// The file holding the reference, relative to the workspace root.
    public var origin: String
    public var fingerprint: String

    public init(reference: String, origin: String, fingerprint: String) {
        self.reference = reference
        self.origin = origin
        self.fingerprint = fingerprint
    }
}

/// The Codable form of a company's settings, as saved plans hold them.
/// Keys follow the company file's names; the plain company-level fields
/// come from `CompanyShape` (`sender.email` is `{"sender": {"email": …}}`),
/// a server's from `SMTPServerShape`.
public struct CompanyDocument: Codable, Sendable {
    public struct LogoDoc: Codable, Sendable {
        var url: String?
        var file_name: String?
        var media_type: String?
        var sha256: String?
        var data_base64: String?
    }

    /// A server in a saved plan: one key per field of `SMTPServerShape`
    /// (the company file's names), secrets as `PlannedSecret`.
    public struct ServerDoc: Codable, Sendable {
        var server: SMTPServer<PlannedSecret>

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(_ server: SMTPServer<PlannedSecret>) { self.server = server }

        /// - Throws: `EncodingError` from the encoder.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for field in SMTPServerShape.fields {
                let key = Key(stringValue: field.key)
                if field.isSecret {
                    if let secret = server.secrets[field.key] { try c.encode(secret, forKey: key) }
                    continue
                }
                switch field.value(server.settings) {
                case .text(let t)?: try c.encode(t, forKey: key)
                case .integer(let i)?: try c.encode(i, forKey: key)
                case .boolean(let b)?: try c.encode(b, forKey: key)
                case .list(let items)?: try c.encode(items, forKey: key)
                case nil: break
                }
            }
        }

        /// Unknown keys and values that do not fit their field are refused.
        /// - Throws: `DecodingError`, or ``CompanyDocument/Invalid`` for a key or value no plan could hold.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var settings = SMTPSettings()
            var secrets: [String: PlannedSecret] = [:]
            for key in c.allKeys {
                guard let field = SMTPServerShape.field(key.stringValue) else { throw CompanyDocument.Invalid() }
                let value: FieldScalar?
                switch field.kind {
                case .secret:
                    secrets[field.key] = try c.decode(PlannedSecret.self, forKey: key)
                    continue
                case .text: value = .text(try c.decode(String.self, forKey: key))
                case .integer: value = .integer(try c.decode(Int.self, forKey: key))
                case .boolean: value = .boolean(try c.decode(Bool.self, forKey: key))
                case .list: value = .list(try c.decode([String].self, forKey: key))
                }
                guard field.set(&settings, value) else { throw CompanyDocument.Invalid() }
            }
            server = SMTPServer(settings: settings, secrets: secrets)
        }
    }

    public struct PoolDoc: Codable, Sendable {
        var name: String
        var use_for: [String]
        var strategy: String
        var servers: [ServerDoc]
    }

    var company: String
    var scalars: CompanyScalars
    /// The HTTP-API providers' sections (`mailgun: {domain, api_key, region}`).
    var apis: [APISettings<PlannedSecret>]
    var logo: LogoDoc?
    var smtp: ServerDoc?
    var smtp_pools: [PoolDoc]
    var probe_disabled_reason: String?
    var waivers: [WaiverDoc]

    struct WaiverDoc: Codable {
        var rule: String
        var reason: String
        var until: String
    }

    public init(_ c: Company<PlannedSecret>) {
        company = c.id
        scalars = c.scalars
        apis = c.apis
        switch c.logo {
        case .url(let url)?: logo = LogoDoc(url: url)
        case .image(let image)?:
            logo = LogoDoc(file_name: image.fileName, media_type: image.mediaType, sha256: image.sha256,
                           data_base64: Base64.encode(image.bytes))
        case nil: logo = nil
        }
        smtp = c.smtp.map(Self.server)
        smtp_pools = c.pools.map { PoolDoc(name: $0.name, use_for: $0.useFor.map(\.rawValue), strategy: $0.strategy.rawValue,
                                           servers: $0.servers.map(Self.server)) }
        probe_disabled_reason = c.probeDisabledReason
        waivers = c.waivers.map { WaiverDoc(rule: $0.rule, reason: $0.reason, until: $0.until) }
    }

    static func server(_ s: SMTPServer<PlannedSecret>) -> ServerDoc { ServerDoc(s) }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The table's fields grouped by their first key: `name`, `sender`
    /// (email, name), `dsar_sender`, `provider`.
    static let groups: [(key: String, fields: [CompanyField])] = {
        var out: [(String, [CompanyField])] = []
        for field in CompanyShape.fields {
            if let last = out.last, last.0 == field.parts[0] { out[out.count - 1].1.append(field) } else { out.append((field.parts[0], [field])) }
        }
        return out
    }()

    /// - Throws: `EncodingError` from the encoder.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(company, forKey: Key("company"))
        for (key, fields) in Self.groups {
            if fields.count == 1 && fields[0].parts.count == 1 {
                if let value = fields[0].value(scalars) { try c.encode(value, forKey: Key(key)) }
                continue
            }
            let present = fields.contains { $0.value(scalars) != nil }
            guard present else { continue }
            var nested = c.nestedContainer(keyedBy: Key.self, forKey: Key(key))
            for field in fields {
                if let value = field.value(scalars) { try nested.encode(value, forKey: Key(field.parts[1])) }
            }
        }
        for settings in apis {
            var nested = c.nestedContainer(keyedBy: Key.self, forKey: Key(settings.section))
            for (i, field) in settings.scheme.plainFields.enumerated() {
                if let value = settings.values[i] { try nested.encode(value, forKey: Key(field.name)) }
            }
            for (i, field) in settings.scheme.secretFields.enumerated() { try nested.encode(settings.secrets[i], forKey: Key(field.name)) }
        }
        try c.encodeIfPresent(logo, forKey: Key("logo"))
        try c.encodeIfPresent(smtp, forKey: Key("smtp"))
        try c.encode(smtp_pools, forKey: Key("smtp_pools"))
        try c.encodeIfPresent(probe_disabled_reason, forKey: Key("probe_disabled_reason"))
        if !waivers.isEmpty { try c.encode(waivers, forKey: Key("waivers")) }
    }

    /// A value a field does not take, or a required field missing, is
    /// refused (``Invalid``), never dropped.
    /// - Throws: `DecodingError`, or ``CompanyDocument/Invalid`` for a key or value no plan could hold.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        company = try c.decode(String.self, forKey: Key("company"))
        // A key no company document has (a section of a provider this
        // version does not know) is refused, never skipped.
        let known = Set(["company", "logo", "smtp", "smtp_pools", "probe_disabled_reason", "waivers"] + Self.groups.map(\.key)
            + ProviderSchemes.apis.map(\.word))
        guard c.allKeys.allSatisfy({ known.contains($0.stringValue) }) else { throw Invalid() }
        var scalars = CompanyScalars()
        for (key, fields) in Self.groups {
            if fields.count == 1 && fields[0].parts.count == 1 {
                let value = try c.decodeIfPresent(String.self, forKey: Key(key))
                if value == nil && fields[0].required { throw Invalid() }
                guard fields[0].assign(value, to: &scalars) else { throw Invalid() }
                continue
            }
            guard c.contains(Key(key)) else {
                if fields.contains(where: \.required) { throw Invalid() }
                continue
            }
            let nested = try c.nestedContainer(keyedBy: Key.self, forKey: Key(key))
            for field in fields {
                let name = Key(field.parts[1])
                let value = try nested.decodeIfPresent(String.self, forKey: name)
                if value == nil && field.required { throw Invalid() }
                guard field.assign(value, to: &scalars) else { throw Invalid() }
            }
        }
        self.scalars = scalars
        // A provider's section is whole: every field of its kind, the
        // required ones and the secrets there, nothing it does not declare.
        var apis: [APISettings<PlannedSecret>] = []
        for api in ProviderSchemes.apis where c.contains(Key(api.word)) {
            let nested = try c.nestedContainer(keyedBy: Key.self, forKey: Key(api.word))
            guard Set(nested.allKeys.map(\.stringValue)).isSubset(of: Set(api.fields.map(\.name))) else { throw Invalid() }
            var values: [String?] = []
            var secrets: [PlannedSecret] = []
            for field in api.fields {
                if field.isSecret {
                    secrets.append(try nested.decode(PlannedSecret.self, forKey: Key(field.name)))
                    continue
                }
                let value = try nested.decodeIfPresent(String.self, forKey: Key(field.name))
                if value == nil && field.required { throw Invalid() }
                if let value, !field.accepts(value) { throw Invalid() }
                values.append(value)
            }
            apis.append(APISettings(provider: api.provider, values: values, secrets: secrets))
        }
        self.apis = apis
        logo = try c.decodeIfPresent(LogoDoc.self, forKey: Key("logo"))
        smtp = try c.decodeIfPresent(ServerDoc.self, forKey: Key("smtp"))
        smtp_pools = try c.decode([PoolDoc].self, forKey: Key("smtp_pools"))
        probe_disabled_reason = try c.decodeIfPresent(String.self, forKey: Key("probe_disabled_reason"))
        waivers = try c.decodeIfPresent([WaiverDoc].self, forKey: Key("waivers")) ?? []
    }

    public struct Invalid: MailformError {
        public var code: ErrorCode { .planRefused }
        public var message: String { "a company's settings in the plan do not read as a company" }
        public var description: String { message }
    }

    /// Back to the model; throws ``Invalid`` for values no plan could hold.
    /// - Throws: ``Invalid`` for a logo, pool or value no plan could hold.
    public func settings() throws -> Company<PlannedSecret> {
        var logoValue: Logo?
        if let logo {
            if let url = logo.url {
                logoValue = .url(url)
            } else if let data = logo.data_base64, let bytes = Base64.decode(data) {
                logoValue = .image(LogoImage(fileName: logo.file_name ?? "logo", mediaType: logo.media_type ?? "",
                                             bytes: bytes, sha256: Digest.sha256Hex(bytes)))
            } else {
                throw Invalid()
            }
        }
        var company = Company<PlannedSecret>(
            id: company, name: nil, sender: Identity(email: "", name: nil), logo: logoValue, dsarSender: nil, provider: .platform,
            smtp: smtp.map(\.server),
            apis: apis,
            pools: try smtp_pools.map { p in
                guard let strategy = PoolStrategy(rawValue: p.strategy) else { throw Invalid() }
                return SMTPPool(name: p.name, useFor: try p.use_for.map { guard let u = MailPurpose(rawValue: $0) else { throw Invalid() }; return u },
                                strategy: strategy, servers: p.servers.map(\.server))
            },
            probeDisabledReason: probe_disabled_reason)
        company.scalars = scalars
        company.waivers = waivers.map { Waiver(rule: $0.rule, reason: $0.reason, until: $0.until) }.sorted { $0.rule < $1.rule }
        return company
    }
}

/// Base64 without Foundation's Data round trips in hot paths.
public enum Base64 {
    public static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    public static func decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { [UInt8]($0) } }
}

import Foundation

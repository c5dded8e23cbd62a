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
/// Keys follow the company file's names.
public struct CompanyDocument: Codable, Sendable {
    public struct IdentityDoc: Codable, Sendable {
        var email: String
        var name: String?
    }

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

    public struct MailgunDoc: Codable, Sendable {
        var domain: String
        var api_key: PlannedSecret
        var region: String
    }

    public struct PoolDoc: Codable, Sendable {
        var name: String
        var use_for: [String]
        var strategy: String
        var servers: [ServerDoc]
    }

    var company: String
    var name: String?
    var sender: IdentityDoc
    var logo: LogoDoc?
    var dsar_sender: IdentityDoc?
    var provider: String
    var smtp: ServerDoc?
    var mailgun: MailgunDoc?
    var smtp_pools: [PoolDoc]
    var probe_disabled_reason: String?

    public init(_ c: Company<PlannedSecret>) {
        company = c.id
        name = c.name
        sender = IdentityDoc(email: c.sender.email, name: c.sender.name)
        switch c.logo {
        case .url(let url)?: logo = LogoDoc(url: url)
        case .image(let image)?:
            logo = LogoDoc(file_name: image.fileName, media_type: image.mediaType, sha256: image.sha256,
                           data_base64: Base64.encode(image.bytes))
        case nil: logo = nil
        }
        dsar_sender = c.dsarSender.map { IdentityDoc(email: $0.email, name: $0.name) }
        provider = c.provider.rawValue
        smtp = c.smtp.map(Self.server)
        mailgun = c.mailgun.map { MailgunDoc(domain: $0.domain, api_key: $0.apiKey, region: $0.region.rawValue) }
        smtp_pools = c.pools.map { PoolDoc(name: $0.name, use_for: $0.useFor.map(\.rawValue), strategy: $0.strategy.rawValue,
                                           servers: $0.servers.map(Self.server)) }
        probe_disabled_reason = c.probeDisabledReason
    }

    static func server(_ s: SMTPServer<PlannedSecret>) -> ServerDoc { ServerDoc(s) }

    public struct Invalid: Error {}

    /// Back to the model; throws ``Invalid`` for values no plan could hold.
    public func settings() throws -> Company<PlannedSecret> {
        func server(_ d: ServerDoc) throws -> SMTPServer<PlannedSecret> { d.server }
        guard let provider = Provider(rawValue: provider) else { throw Invalid() }
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
        return Company(
            id: company, name: name, sender: Identity(email: sender.email, name: sender.name), logo: logoValue,
            dsarSender: dsar_sender.map { Identity(email: $0.email, name: $0.name) }, provider: provider,
            smtp: try smtp.map(server),
            mailgun: try mailgun.map {
                guard let region = MailgunRegion(rawValue: $0.region) else { throw Invalid() }
                return MailgunSettings(domain: $0.domain, apiKey: $0.api_key, region: region)
            },
            pools: try smtp_pools.map { p in
                guard let strategy = PoolStrategy(rawValue: p.strategy) else { throw Invalid() }
                return SMTPPool(name: p.name, useFor: try p.use_for.map { guard let u = MailPurpose(rawValue: $0) else { throw Invalid() }; return u },
                                strategy: strategy, servers: try p.servers.map(server))
            },
            probeDisabledReason: probe_disabled_reason)
    }
}

/// Base64 without Foundation's Data round trips in hot paths.
public enum Base64 {
    public static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    public static func decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { [UInt8]($0) } }
}

import Foundation

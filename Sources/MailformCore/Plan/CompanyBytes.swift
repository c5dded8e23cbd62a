/// A resolved company as bytes and back, for the companies an apply keeps
/// aside until it writes them (`SpilledCompanies`, which seals them). The
/// fields come from the shape tables (`CompanyShape`, `SMTPServerShape`),
/// so a field added there is carried without a change here. JSON through
/// `CompanyDocument` did the same at a tenth of the speed.
///
/// Lengths and counts are LEB128; an optional is a 0/1 byte before its value.
public enum CompanyBytes {
    public struct Invalid: MailformError {
        public var code: ErrorCode { .planSettings }
        public var message: String { "a company kept aside does not read back as a company" }
        public var description: String { message }
    }

    public static func encode(_ company: Company<ResolvedSecret>) -> [UInt8] {
        var out = Writer()
        out.bytes.reserveCapacity(2_048)
        out.string(company.id)
        let scalars = company.scalars
        for field in CompanyShape.fields where !field.isSecret { out.optional(field.value(scalars)) { $0.string($1) } }
        // Each provider section: its word, its plain values, its secrets.
        out.number(company.apis.count)
        for settings in company.apis {
            out.string(settings.section)
            for value in settings.values { out.optional(value) { $0.string($1) } }
            for secret in settings.secrets { out.secret(secret) }
        }
        switch company.logo {
        case nil: out.byte(0)
        case .url(let url)?: out.byte(1); out.string(url)
        case .image(let image)?:
            out.byte(2)
            out.string(image.fileName)
            out.string(image.mediaType)
            out.data(image.bytes)
            out.string(image.sha256)
        }
        out.optional(company.smtp) { $0.server($1) }
        out.number(company.pools.count)
        for pool in company.pools {
            out.string(pool.name)
            out.strings(pool.useFor.map(\.rawValue))
            out.string(pool.strategy.rawValue)
            out.number(pool.servers.count)
            for server in pool.servers { out.server(server) }
        }
        out.optional(company.probeDisabledReason) { $0.string($1) }
        out.optional(company.dkimSelector) { $0.string($1) }
        out.number(company.waivers.count)
        for waiver in company.waivers {
            out.string(waiver.rule)
            out.string(waiver.reason)
            out.string(waiver.until)
        }
        return out.bytes
    }

    /// - Throws: ``Invalid`` for bytes `encode` did not make.
    public static func decode(_ bytes: [UInt8]) throws -> Company<ResolvedSecret> {
        var input = Reader(bytes: bytes)
        let id = try input.string()
        var scalars = CompanyScalars()
        for field in CompanyShape.fields where !field.isSecret {
            guard field.assign(try input.optional { try $0.string() }, to: &scalars) else { throw Invalid() }
        }
        var apis: [APISettings<ResolvedSecret>] = []
        for _ in 0..<(try input.count()) {
            guard let provider = Provider(rawValue: try input.string()), let api = ProviderSchemes.api(provider) else { throw Invalid() }
            let values = try api.plainFields.map { _ in try input.optional { try $0.string() } }
            let secrets = try api.secretFields.map { _ in try input.secret() }
            apis.append(APISettings(provider: provider, values: values, secrets: secrets))
        }
        let logo: Logo?
        switch try input.byte() {
        case 0: logo = nil
        case 1: logo = .url(try input.string())
        case 2:
            logo = .image(LogoImage(fileName: try input.string(), mediaType: try input.string(), bytes: try input.data(), sha256: try input.string()))
        default: throw Invalid()
        }
        let smtp = try input.optional { try $0.server() }
        var pools: [SMTPPool<ResolvedSecret>] = []
        for _ in 0..<(try input.count()) {
            let name = try input.string()
            let useFor = try input.strings().map { guard let purpose = MailPurpose(rawValue: $0) else { throw Invalid() }; return purpose }
            guard let strategy = PoolStrategy(rawValue: try input.string()) else { throw Invalid() }
            var servers: [SMTPServer<ResolvedSecret>] = []
            for _ in 0..<(try input.count()) { servers.append(try input.server()) }
            pools.append(SMTPPool(name: name, useFor: useFor, strategy: strategy, servers: servers))
        }
        let probeDisabledReason = try input.optional { try $0.string() }
        let dkimSelector = try input.optional { try $0.string() }
        var waivers: [Waiver] = []
        for _ in 0..<(try input.count()) {
            waivers.append(Waiver(rule: try input.string(), reason: try input.string(), until: try input.string()))
        }
        guard input.atEnd else { throw Invalid() }
        var company = Company<ResolvedSecret>(
            id: id, name: nil, sender: Identity(email: "", name: nil), logo: logo, dsarSender: nil, provider: .platform, smtp: smtp,
            apis: apis, pools: pools, probeDisabledReason: probeDisabledReason, dkimSelector: dkimSelector)
        company.scalars = scalars
        company.waivers = waivers
        return company
    }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func byte(_ b: UInt8) { bytes.append(b) }

        mutating func number(_ n: Int) { raw(UInt64(n)) }

        mutating func raw(_ n: UInt64) {
            var n = n
            while n >= 0x80 {
                bytes.append(UInt8(n & 0x7F) | 0x80)
                n >>= 7
            }
            bytes.append(UInt8(n))
        }

        mutating func data(_ d: [UInt8]) {
            number(d.count)
            bytes.append(contentsOf: d)
        }

        mutating func string(_ s: String) {
            var s = s
            s.withUTF8 { utf8 in
                number(utf8.count)
                bytes.append(contentsOf: utf8)
            }
        }

        mutating func strings(_ items: [String]) {
            number(items.count)
            for item in items { string(item) }
        }

        mutating func optional<T>(_ value: T?, _ body: (inout Writer, T) -> Void) {
            guard let value else { return byte(0) }
            byte(1)
            body(&self, value)
        }

        mutating func secret(_ s: ResolvedSecret) {
            string(s.reference.description)
            s.secret.withRevealedBytes { data($0) }
            string(s.origin)
            string(s.canonical)
            byte(s.fromProfile ? 1 : 0)
        }

        mutating func server(_ server: SMTPServer<ResolvedSecret>) {
            for field in SMTPServerShape.fields {
                if field.isSecret {
                    optional(server.secrets[field.key]) { $0.secret($1) }
                    continue
                }
                switch field.value(server.settings) {
                case nil: byte(0)
                case .text(let t)?: byte(1); string(t)
                case .integer(let i)?: byte(2); raw(UInt64(bitPattern: Int64(i)))
                case .boolean(let b)?: byte(b ? 4 : 3)
                case .list(let items)?: byte(5); strings(items)
                }
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0

        var atEnd: Bool { at == bytes.count }

        mutating func byte() throws -> UInt8 {
            guard at < bytes.count else { throw Invalid() }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func number() throws -> UInt64 {
            var n: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64 else { throw Invalid() }
                n |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return n }
                shift += 7
            }
        }

        mutating func count() throws -> Int {
            let n = try number()
            guard n <= UInt64(bytes.count - at) else { throw Invalid() }
            return Int(n)
        }

        mutating func data() throws -> [UInt8] {
            let n = try count()
            defer { at += n }
            return Array(bytes[at..<(at + n)])
        }

        mutating func string() throws -> String {
            let n = try count()
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }

        mutating func strings() throws -> [String] {
            var out: [String] = []
            for _ in 0..<(try count()) { out.append(try string()) }
            return out
        }

        mutating func optional<T>(_ body: (inout Reader) throws -> T) throws -> T? {
            switch try byte() {
            case 0: return nil
            case 1: return try body(&self)
            default: throw Invalid()
            }
        }

        mutating func secret() throws -> ResolvedSecret {
            guard let reference = SecretReference(parsing: try string()) else { throw Invalid() }
            let value = try data()
            let origin = try string(), canonical = try string()
            let fromProfile = try byte()
            guard fromProfile <= 1 else { throw Invalid() }
            return ResolvedSecret(reference: reference, secret: Secret(bytes: value), origin: origin, canonical: canonical,
                                  fromProfile: fromProfile == 1)
        }

        mutating func server() throws -> SMTPServer<ResolvedSecret> {
            var settings = SMTPSettings()
            var secrets: [String: ResolvedSecret] = [:]
            for field in SMTPServerShape.fields {
                if field.isSecret {
                    if let secret = try optional({ try $0.secret() }) { secrets[field.key] = secret }
                    continue
                }
                let value: FieldScalar?
                switch try byte() {
                case 0: value = nil
                case 1: value = .text(try string())
                case 2: value = .integer(Int(Int64(bitPattern: try number())))
                case 3: value = .boolean(false)
                case 4: value = .boolean(true)
                case 5: value = .list(try strings())
                default: throw Invalid()
                }
                if let value { guard field.set(&settings, value) else { throw Invalid() } }
            }
            return SMTPServer(settings: settings, secrets: secrets)
        }
    }
}

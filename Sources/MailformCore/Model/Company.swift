import JSONSchema

/// All settings of one company. The same type describes the desired settings
/// (from files) and the current ones (from the store), so the diff compares
/// like with like.
public struct Company<SecretValue: Sendable>: Sendable {
    public var id: String
    public var name: String?
    public var sender: Identity
    public var logo: Logo?
    public var dsarSender: Identity?
    public var provider: Provider
    public var smtp: SMTPServer<SecretValue>?
    /// The HTTP-API providers' sections the file has (`mailgun:`), in
    /// registry order: the selected provider's, and any others (ignored
    /// by the platform, warned about).
    public var apis: [APISettings<SecretValue>]
    public var pools: [SMTPPool<SecretValue>]
    /// `nil` when probing is on; the reason when the file says `probe: false`.
    public var probeDisabledReason: String?
    /// The DKIM selector the platform signs this company's mail with
    /// (`dkim.selector`), for the deliverability checks only: mailform does
    /// not apply it (the platform's DKIM signing is configured elsewhere), so
    /// it is neither stored nor part of a plan.
    public var dkimSelector: String?
    /// Policy rules waived for this company (`waivers:`), sorted by rule.
    public var waivers: [Waiver] = []

    public init(id: String, name: String?, sender: Identity, logo: Logo?, dsarSender: Identity?, provider: Provider,
                smtp: SMTPServer<SecretValue>?, apis: [APISettings<SecretValue>], pools: [SMTPPool<SecretValue>],
                probeDisabledReason: String?, dkimSelector: String? = nil) {
        self.dkimSelector = dkimSelector
        self.id = id
        self.name = name
        self.sender = sender
        self.logo = logo
        self.dsarSender = dsarSender
        self.provider = provider
        self.smtp = smtp
        self.apis = []
        self.pools = pools
        self.probeDisabledReason = probeDisabledReason
        for settings in apis { setAPI(settings.provider, settings) }
    }

    /// With a Mailgun section or none (the form before providers were plug-ins).
    public init(id: String, name: String?, sender: Identity, logo: Logo?, dsarSender: Identity?, provider: Provider,
                smtp: SMTPServer<SecretValue>?, mailgun: MailgunSettings<SecretValue>?, pools: [SMTPPool<SecretValue>],
                probeDisabledReason: String?, dkimSelector: String? = nil) {
        self.init(id: id, name: name, sender: sender, logo: logo, dsarSender: dsarSender, provider: provider, smtp: smtp,
                  apis: mailgun.map { [$0.settings] } ?? [], pools: pools, probeDisabledReason: probeDisabledReason, dkimSelector: dkimSelector)
    }

    /// The section of an HTTP-API provider (nil when the file has none).
    public func api(_ provider: Provider) -> APISettings<SecretValue>? { apis.first { $0.provider == provider } }

    /// Sets (or with nil removes) a provider's section, kept in registry order.
    public mutating func setAPI(_ provider: Provider, _ settings: APISettings<SecretValue>?) {
        apis.removeAll { $0.provider == provider }
        if let settings { apis.append(settings) }
        let order = ProviderSchemes.apis.map(\.provider)
        apis.sort { (order.firstIndex(of: $0.provider) ?? .max) < (order.firstIndex(of: $1.provider) ?? .max) }
    }

    /// - Throws: what `transform` throws.
    public func map<T>(_ transform: (SecretValue) throws -> T) rethrows -> Company<T> {
        var out = Company<T>(id: id, name: name, sender: sender, logo: logo, dsarSender: dsarSender, provider: provider,
                             smtp: try smtp.map { try $0.map(transform) }, apis: try apis.map { try $0.map(transform) },
                             pools: try pools.map { try $0.map(transform) }, probeDisabledReason: probeDisabledReason, dkimSelector: dkimSelector)
        out.waivers = waivers
        return out
    }

    /// Every SMTP endpoint of the company: the main account, then pool servers.
    public var smtpServers: [(path: String, server: SMTPServer<SecretValue>)] {
        var all: [(String, SMTPServer<SecretValue>)] = []
        if provider == .smtp, let smtp { all.append(("smtp", smtp)) }
        for pool in pools {
            for (i, server) in pool.servers.enumerated() { all.append(("smtp_pools.\(pool.name).servers[\(i)]", server)) }
        }
        return all
    }
}

extension Company {
    /// Where each secret of a company lives, by field path: `smtp.password`,
    /// `mailgun.api_key` (an HTTP-API provider's section), `smtp_pools.NAME.servers[I].oauth2.client_secret`.
    /// The store keys secrets by these paths, and binds each ciphertext to its path.
    public static func serverPath(pool: String?, position: Int) -> String {
        guard let pool else { return "smtp" }
        return "smtp_pools.\(pool).servers[\(position)]"
    }

    public static func passwordPath(pool: String?, position: Int) -> String { serverPath(pool: pool, position: position) + ".password" }

    /// Like `map`, with each secret's field path.
    /// - Throws: what `transform` throws.
    public func mapSecrets<T>(_ transform: (String, SecretValue) throws -> T) rethrows -> Company<T> {
        let smtpMapped = try smtp.map { s in try s.mapSecrets { try transform("smtp." + $0, $1) } }
        let apisMapped = try apis.map { try $0.mapSecrets(transform) }
        let poolsMapped = try pools.map { pool in
            SMTPPool<T>(name: pool.name, useFor: pool.useFor, strategy: pool.strategy,
                        servers: try pool.servers.enumerated().map { i, s in
                            try s.mapSecrets { try transform(Self.serverPath(pool: pool.name, position: i) + "." + $0, $1) }
                        })
        }
        var out = Company<T>(id: id, name: name, sender: sender, logo: logo, dsarSender: dsarSender, provider: provider,
                             smtp: smtpMapped, apis: apisMapped, pools: poolsMapped, probeDisabledReason: probeDisabledReason,
                             dkimSelector: dkimSelector)
        out.waivers = waivers
        return out
    }
}

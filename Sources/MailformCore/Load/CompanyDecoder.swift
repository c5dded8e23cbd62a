import JSONSchema

/// Turns a schema-valid company tree into the typed model.
///
/// Runs only after the schema check passed, so shapes are known; defaults of
/// the schema (`starttls: required`, `region: us`, ...) are applied here.
enum CompanyDecoder {
    static func decode(_ root: JSONNode) -> Company<SecretReference>? {
        guard let id = root["company"]?.value.stringValue,
              let senderNode = root["sender"], let sender = identity(senderNode),
              let providerText = root["provider"]?.value.stringValue, let provider = Provider(rawValue: providerText)
        else { return nil }
        var logo: Logo?
        if let text = senderNode["logo"]?.value.stringValue {
            logo = text.hasPrefix("https://") ? .url(text) : .image(LogoImage(fileName: text, mediaType: "", bytes: [], sha256: ""))
        }
        let pools: [SMTPPool<SecretReference>] = (root["smtp_pools"]?.value.members ?? []).compactMap { member in
            let node = member.value
            let useFor = (node["use_for"]?.value.elements ?? []).compactMap { $0.value.stringValue.flatMap(MailPurpose.init(rawValue:)) }
            let strategy = node["strategy"]?.value.stringValue.flatMap(PoolStrategy.init(rawValue:)) ?? .failover
            let servers = (node["servers"]?.value.elements ?? []).compactMap(smtpServer)
            return SMTPPool(name: member.key, useFor: useFor, strategy: strategy, servers: servers)
        }
        var mailgun: MailgunSettings<SecretReference>?
        if let node = root["mailgun"], let domain = node["domain"]?.value.stringValue,
           let keyNode = node["api_key"], let key = reference(keyNode) {
            let region = node["region"]?.value.stringValue.flatMap(MailgunRegion.init(rawValue:)) ?? .us
            mailgun = MailgunSettings(domain: domain.lowercased(), apiKey: key, region: region)
        }
        var probeDisabledReason: String?
        if case .bool(false)? = root["probe"]?.value {
            probeDisabledReason = "probe: false"
        } else if let reason = root["probe"]?["reason"]?.value.stringValue {
            probeDisabledReason = reason
        }
        return Company(
            id: id,
            name: root["name"]?.value.stringValue,
            sender: sender,
            logo: logo,
            dsarSender: root["dsar_sender"].flatMap(identity),
            provider: provider,
            smtp: root["smtp"].flatMap(smtpServer),
            mailgun: mailgun,
            pools: pools,
            probeDisabledReason: probeDisabledReason
        )
    }

    static func identity(_ node: JSONNode) -> Identity? {
        guard let email = node["email"]?.value.stringValue else { return nil }
        return Identity(email: email, name: node["name"]?.value.stringValue)
    }

    static func reference(_ node: JSONNode) -> SecretReference? {
        node.value.stringValue.flatMap { SecretReference(parsing: $0, mark: node.mark) }
    }

    static func smtpServer(_ node: JSONNode) -> SMTPServer<SecretReference>? {
        guard let host = node["host"]?.value.stringValue else { return nil }
        let ssl = node["ssl"].flatMap { if case .bool(let b) = $0.value { b } else { nil } } ?? false
        // With implicit TLS, STARTTLS makes no sense: its default becomes off.
        let starttls = node["starttls"]?.value.stringValue.flatMap(StartTLS.init(rawValue:)) ?? (ssl ? .off : .required)
        let port: Int
        switch node["port"]?.value {
        case .integer(let p)?: port = p
        case .number(let d)?: port = Int(d)
        default: port = ssl ? 465 : 587
        }
        var trust: [String] = []
        switch node["ssl_trust"]?.value {
        case .string("*")?: trust = ["*"]
        case .array(let items)?: trust = items.compactMap { $0.value.stringValue }
        default: break
        }
        let checkIdentity = node["ssl_check_identity"].flatMap { if case .bool(let b) = $0.value { b } else { nil } } ?? true
        let protocols = node["ssl_protocols"]?.value.elements?.compactMap { $0.value.stringValue } ?? ["TLSv1.2", "TLSv1.3"]
        return SMTPServer(host: host.lowercased(), port: port, username: node["username"]?.value.stringValue,
                          password: node["password"].flatMap(reference), starttls: starttls, ssl: ssl,
                          sslTrust: trust, sslCheckIdentity: checkIdentity, sslProtocols: protocols)
    }
}

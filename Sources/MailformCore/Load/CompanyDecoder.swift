import JSONSchema

/// Turns a schema-valid company tree into the typed model.
///
/// Runs only after the schema check passed, so shapes are known; defaults of
/// the schema (`starttls: required`, `region: us`, ...) are applied here.
/// It fails closed: a value that is present but cannot be decoded is a
/// located error, never a dropped section (a mailgun block whose key did not
/// parse once vanished silently, and `--prune` would then have acted on it).
enum CompanyDecoder {
    struct Failure: MailformError {
        var message: String
        var mark: Mark?
        var code: ErrorCode { .settingUnreadable }
        var description: String { message }
    }

    static func decode(_ root: JSONNode) throws -> Company<SecretReference> {
        let id = try required(root, "company")
        guard let senderNode = root["sender"] else { throw Failure(message: "sender is missing", mark: root.mark) }
        // The plain company-level fields, as `CompanyShape` describes them.
        var scalars = CompanyScalars()
        for field in CompanyShape.fields where !field.isSecret {
            try decode(field, in: root, into: &scalars)
        }
        var logo: Logo?
        if let text = try optional(senderNode, "logo", "sender.logo") {
            logo = text.hasPrefix("https://") ? .url(text) : .image(LogoImage(fileName: text, mediaType: "", bytes: [], sha256: ""))
        }
        var pools: [SMTPPool<SecretReference>] = []
        if let poolsNode = root["smtp_pools"] {
            guard let members = poolsNode.value.members else { throw Failure(message: "smtp_pools is not a mapping", mark: poolsNode.mark) }
            for member in members {
                let node = member.value
                let base = "smtp_pools.\(member.key)"
                let useFor = try (node["use_for"]?.value.elements ?? []).map { item -> MailPurpose in
                    try enumValue(MailPurpose.self, item.value.stringValue ?? "", item, "\(base).use_for")
                }
                let strategy = try optional(node, "strategy", "\(base).strategy")
                    .map { try enumValue(PoolStrategy.self, $0, node["strategy"], "\(base).strategy") } ?? .failover
                let servers = try (node["servers"]?.value.elements ?? []).enumerated().map { i, server in
                    try smtpServer(server, "\(base).servers[\(i)]")
                }
                pools.append(SMTPPool(name: member.key, useFor: useFor, strategy: strategy, servers: servers))
            }
        }
        // Each HTTP-API provider's section, as its fields describe it.
        var apis: [APISettings<SecretReference>] = []
        for api in ProviderSchemes.apis {
            guard let node = root[api.word] else { continue }
            apis.append(try apiSettings(api, node))
        }
        var probeDisabledReason: String?
        if case .bool(false)? = root["probe"]?.value {
            probeDisabledReason = "probe: false"
        } else if let probe = root["probe"], case .object = probe.value,
                  case .bool(false)? = probe["enabled"]?.value {
            probeDisabledReason = try optional(probe, "reason", "probe.reason") ?? "probe: false"
        }
        var company = Company(
            id: id, name: nil, sender: Identity(email: "", name: nil), logo: logo, dsarSender: nil, provider: .platform,
            smtp: try root["smtp"].map { try smtpServer($0, "smtp") },
            apis: apis,
            pools: pools,
            probeDisabledReason: probeDisabledReason,
            dkimSelector: try root["dkim"].flatMap { try optional($0, "selector", "dkim.selector") }
        )
        company.scalars = scalars
        company.waivers = try (root["waivers"]?.value.elements ?? []).enumerated().map { i, node in
            Waiver(rule: try required(node, "rule", "waivers[\(i)].rule"), reason: try required(node, "reason", "waivers[\(i)].reason"),
                   until: try required(node, "until", "waivers[\(i)].until"), mark: node["rule"]?.mark ?? node.mark)
        }.sorted { $0.rule < $1.rule }
        // Another provider's section is ignored (`unused-provider-settings`):
        // it is not part of the company, so its secrets are never read and it
        // is never stored.
        company.apis.removeAll { $0.provider != company.provider }
        return company
    }

    /// One field of `CompanyShape`: missing (an error when required), a
    /// string, and a value the field takes — else a located error.
    static func decode(_ field: CompanyField, in root: JSONNode, into scalars: inout CompanyScalars) throws {
        var parent: JSONNode? = root
        for part in field.parts.dropLast() { parent = parent?[part] }
        guard let node = parent?[field.parts[field.parts.count - 1]] else {
            if field.required { throw Failure(message: "\(field.key) is missing", mark: parent?.mark ?? root.mark) }
            return
        }
        guard let text = node.value.stringValue else { throw Failure(message: "\(field.key) is not a string", mark: node.mark) }
        guard field.assign(text, to: &scalars) else {
            throw Failure(message: field.isWord ? "\(field.key) has an unknown value" : "\(field.key) cannot be read", mark: node.mark)
        }
    }

    /// A provider's section: each field present and of its kind, required
    /// ones there, defaults filled in.
    static func apiSettings(_ api: any APIProvider, _ node: JSONNode) throws -> APISettings<SecretReference> {
        var values: [String?] = []
        var secrets: [SecretReference] = []
        for field in api.fields {
            let path = api.path(field)
            guard let child = node[field.name] else {
                if field.required || field.isSecret { throw Failure(message: "\(path) is missing", mark: node.mark) }
                if !field.isSecret { values.append(field.defaultValue) }
                continue
            }
            if field.isSecret {
                secrets.append(try reference(child, path))
                continue
            }
            guard let text = child.value.stringValue else { throw Failure(message: "\(path) is not a string", mark: child.mark) }
            guard field.accepts(text) else { throw Failure(message: "\(path) has an unknown value", mark: child.mark) }
            values.append(field.lowercased ? text.lowercased() : text)
        }
        return APISettings(provider: api.provider, values: values, secrets: secrets)
    }

    static func identity(_ node: JSONNode, _ path: String) throws -> Identity {
        Identity(email: try required(node, "email", "\(path).email"), name: try optional(node, "name", "\(path).name"))
    }

    static func required(_ node: JSONNode, _ key: String, _ path: String? = nil) throws -> String {
        guard let value = try optional(node, key, path ?? key) else {
            throw Failure(message: "\(path ?? key) is missing", mark: node.mark)
        }
        return value
    }

    /// The string at `key`; `nil` when absent; an error when present but not a string.
    static func optional(_ node: JSONNode, _ key: String, _ path: String) throws -> String? {
        guard let child = node[key] else { return nil }
        guard let text = child.value.stringValue else { throw Failure(message: "\(path) is not a string", mark: child.mark) }
        return text
    }

    static func enumValue<E: RawRepresentable>(_ type: E.Type, _ text: String, _ node: JSONNode?, _ path: String) throws -> E
    where E.RawValue == String {
        guard let value = E(rawValue: text) else { throw Failure(message: "\(path) has an unknown value", mark: node?.mark) }
        return value
    }

    static func bool(_ node: JSONNode, _ key: String, _ path: String) throws -> Bool? {
        guard let child = node[key] else { return nil }
        guard case .bool(let b) = child.value else { throw Failure(message: "\(path) is not true or false", mark: child.mark) }
        return b
    }

    static func reference(_ node: JSONNode, _ path: String) throws -> SecretReference {
        guard let text = node.value.stringValue, let reference = SecretReference(parsing: text, mark: node.mark) else {
            throw Failure(message: "\(path) is not a secret reference like ${env:NAME} or ${file:PATH}", mark: node.mark)
        }
        return reference
    }

    /// The server's fields come from `SMTPServerShape`; only the paths in messages are made here.
    static func smtpServer(_ node: JSONNode, _ path: String) throws -> SMTPServer<SecretReference> {
        do {
            return try SMTPServerShape.decode(node) { key, child in try reference(child, "\(path).\(key)") }
        } catch let failure as SMTPServerShape.DecodeFailure {
            throw Failure(message: "\(path).\(failure.key) has a value that does not fit it", mark: failure.node?.mark ?? node.mark)
        }
    }
}

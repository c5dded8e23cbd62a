/// Writes a company as a company file, for `export`. Secrets are written as
/// the references the caller chose; values never pass through here.
public enum CompanyYAMLWriter {
    /// - Parameters:
    ///   - logoPath: the path to write for an image logo (relative to the file).
    ///   - schemaPath: the `$schema` path for the editor comment.
    public static func yaml(_ c: Company<SecretReference>, logoPath: String?, schemaPath: String) -> String {
        var out = "# yaml-language-server: $schema=\(schemaPath)\n"
        out += "company: \(scalar(c.id))\n"
        // The company-level fields come from `CompanyShape`; the logo sits in
        // the sender's section, after the fields before it.
        let scalars = c.scalars
        var open: String?
        func section(_ section: CompanyField.Section) {
            for field in CompanyShape.fields(in: section) {
                let text = field.value(scalars).map { field.isWord ? $0 : scalar($0) }
                guard let text else { continue }
                if field.parts.count == 2 {
                    if open != field.parts[0] { out += "\(field.parts[0]):\n"; open = field.parts[0] }
                    out += "  \(field.parts[1]): \(text)\n"
                } else {
                    open = nil
                    out += "\(field.key): \(text)\n"
                }
            }
        }
        section(.head)
        switch c.logo {
        case .url(let url)?: out += "  logo: \(scalar(url))\n"
        case .image?: if let logoPath { out += "  logo: \(scalar(logoPath))\n" }
        case nil: break
        }
        section(.body)
        if let smtp = c.smtp { out += "smtp:\n" + server(smtp, indent: "  ", first: "  ") }
        open = nil
        for settings in c.apis {
            out += "\(settings.section):\n"
            var plain = 0, secret = 0
            for field in settings.scheme.fields {
                if field.isSecret {
                    out += "  \(field.name): \(reference(settings.secrets[secret].description))\n"
                    secret += 1
                } else {
                    if let value = settings.values[plain] {
                        out += "  \(field.name): \(field.kind == .text ? scalar(value) : value)\n"
                    }
                    plain += 1
                }
            }
        }
        if !c.pools.isEmpty {
            out += "smtp_pools:\n"
            for pool in c.pools {
                out += "  \(scalar(pool.name)):\n"
                out += "    use_for: [\(pool.useFor.map(\.rawValue).joined(separator: ", "))]\n"
                out += "    strategy: \(pool.strategy.rawValue)\n"
                out += "    servers:\n"
                for s in pool.servers { out += server(s, indent: "        ", first: "      - ") }
            }
        }
        if let reason = c.probeDisabledReason {
            out += reason == "probe: false" ? "probe: false\n" : "probe:\n  enabled: false\n  reason: \(scalar(reason))\n"
        }
        // Not stored (the DNS checks' selector): written only when a file that had it is written again.
        if let selector = c.dkimSelector { out += "dkim:\n  selector: \(scalar(selector))\n" }
        if !c.waivers.isEmpty {
            out += "waivers:\n"
            for w in c.waivers { out += "  - rule: \(scalar(w.rule))\n    reason: \(scalar(w.reason))\n    until: \(scalar(w.until))\n" }
        }
        return out
    }

    /// The server's lines, one per field of `SMTPServerShape`; dotted keys
    /// (`oauth2.tenant`) become a nested mapping.
    static func server(_ s: SMTPServer<SecretReference>, indent: String, first: String) -> String {
        var lines: [String] = []
        var openSection: String?
        for field in SMTPServerShape.fields {
            let text: String?
            if field.isSecret {
                text = s.secrets[field.key].map { reference($0.description) }
            } else if let value = field.value(s.settings), value == field.fallback(s.settings, Set(s.secrets.keys)) {
                // What the file would get without it: left out, as a person writes it.
                continue
            } else {
                switch field.value(s.settings) {
                case .text(let t)?: text = scalar(t)
                case .integer(let i)?: text = String(i)
                case .boolean(let b)?: text = b ? "true" : "false"
                case .list(let items)?: text = items == ["*"] ? "\"*\"" : "[" + items.map(scalar).joined(separator: ", ") + "]"
                case nil: text = nil
                }
            }
            guard let text else { continue }
            let parts = field.key.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                if openSection != parts[0] {
                    lines.append("\(parts[0]):")
                    openSection = parts[0]
                }
                lines.append("  \(parts[1]): \(text)")
            } else {
                openSection = nil
                lines.append("\(field.key): \(text)")
            }
        }
        return lines.enumerated().map { (i, line) in (i == 0 ? first : indent) + line + "\n" }.joined()
    }

    /// A YAML scalar that reads back as the same string: plain when safe,
    /// double-quoted (JSON escapes) otherwise.
    /// A secret reference: `${env:NAME}` and `${file:PATH}` read back plain
    /// in a block mapping, as people write them; anything else quoted.
    static func reference(_ d: String) -> String {
        let plain = d.hasPrefix("${") && d.hasSuffix("}") && !d.contains(" ") && !d.contains("#") && !d.contains("\"") && !d.contains("'")
            && !d.contains("\\") && d.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
        return plain ? d : scalar(d)
    }

    public static func scalar(_ s: String) -> String {
        // Letters, digits, `@._/-+`, and single spaces inside (`ACME Ltda`).
        let plainSafe = !s.isEmpty && !s.hasPrefix(" ") && !s.hasSuffix(" ") && !s.contains("  ") && s.unicodeScalars.allSatisfy { c in
            (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
                || "@._/-+ ".unicodeScalars.contains(c)
        }
        let first = s.unicodeScalars.first
        let resolvesToString: Bool = {
            if case .string = ScalarResolution.resolvePlain(s) { return !ScalarResolution.hasLeadingZero(s) }
            return false
        }()
        // `@` and `` ` `` are reserved to start a plain scalar (YAML 1.2 section 5.3).
        if plainSafe, let first, !"-+@".unicodeScalars.contains(first), resolvesToString { return s }
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                // C0, DEL, C1 (U+0085 is a line break to YAML), the line and
                // paragraph separators and the BOM: escaped, or they read back otherwise.
                if c.value < 0x20 || (0x7F...0x9F).contains(c.value) || c.value == 0x2028 || c.value == 0x2029 || c.value == 0xFEFF {
                    out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }
}

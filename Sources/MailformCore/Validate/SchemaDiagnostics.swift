import Foundation
import JSONSchema

/// Turns schema violations into diagnostics a user can act on: the message of
/// the violation, and a hint that names the field and the fix.
struct SchemaDiagnostics {
    let files: SourceFiles
    let schema: JSONNode
    /// The folder the literal-secret hint suggests for `${file:}` (absolute):
    /// the reference is written relative to the file that holds it, as the
    /// resolver reads it. `nil`: `secrets/` beside the file.
    var secretsFolder: String? = nil
    /// The file's tree: a key refused by a condition ("not allowed here")
    /// is explained by the setting beside it that chose the condition.
    var instance: JSONNode? = nil

    /// The settings whose value decides which keys a section allows.
    static let deciding = ["auth", "provider", "ssl"]

    /// The rule id of a secret written as a value instead of a reference.
    static let literalSecretRule = "literal-secret"

    func diagnostics(for violations: [Violation], companyID: String?) -> [Diagnostic] {
        violations.map { violation in
            Diagnostic.error(message(for: violation), at: files.location(mark(of: violation)), hint: hint(for: violation, companyID: companyID),
                             rule: isLiteralSecret(violation) ? Self.literalSecretRule : nil)
        }
    }

    /// Where a violation is shown: a provider's section that is missing, at
    /// the `provider:` line that asks for it (not at the file's first line).
    func mark(of violation: Violation) -> Mark? {
        if case .missingProperty(let name) = violation.kind, violation.path.isEmpty,
           name == "smtp" || ProviderSchemes.apis.contains(where: { $0.word == name }),
           let provider = instance?["provider"]?.mark {
            return provider
        }
        return violation.mark
    }

    func isLiteralSecret(_ violation: Violation) -> Bool { isSecretField(violation) && !isUnknownKey(violation) }

    /// The validator's message, except at a secret field, where the value
    /// (a literal, a number, a list) is never repeated.
    func message(for violation: Violation) -> String {
        if case .falseSchema = violation.kind, let why = reason(violation) { return violation.message + " because " + why }
        guard isSecretField(violation), !isUnknownKey(violation) else { return violation.message }
        return "\(violation.subject) must be a secret reference like ${env:NAME} or ${file:PATH}, never a literal value"
    }

    /// `smtp.auth is oauth2`: the setting beside a refused key that decides
    /// what its section allows (nil when none is written).
    func reason(_ violation: Violation) -> String? {
        guard var node = instance, case .key(let refused)? = violation.path.last else { return nil }
        let parent = Array(violation.path.dropLast())
        for element in parent {
            switch element {
            case .key(let k): guard let next = node[k] else { return nil }; node = next
            case .index(let i): guard let items = node.value.elements, i < items.count else { return nil }; node = items[i]
            }
        }
        for key in Self.deciding where key != refused {
            guard let value = node[key]?.value else { continue }
            let text: String
            switch value {
            case .string(let s): text = s
            case .bool(let b): text = b ? "true" : "false"
            default: continue
            }
            return "\((parent + [.key(key)]).dotted) is \(SafeText.escape(String(text.prefix(40))))"
        }
        return nil
    }

    func isSecretField(_ violation: Violation) -> Bool {
        if case .key(let last)? = violation.path.last { return SecretFields.keys.contains(last) }
        return false
    }

    /// A key that may not be there at all (unknown, or not with these
    /// settings): its value is not the problem.
    func isUnknownKey(_ violation: Violation) -> Bool {
        switch violation.kind {
        case .unknownProperty, .falseSchema: return true
        default: return false
        }
    }

    func hint(for violation: Violation, companyID: String?) -> String? {
        let field = violation.path.dotted
        if isLiteralSecret(violation) {
            return literalSecretHint(violation, companyID: companyID)
        }
        switch violation.kind {
        case let .unknownProperty(name, allowed):
            if let suggestion = violation.suggestion { return suggestion }
            // A provider's field written at the top level belongs in its section.
            let owners = ProviderSchemes.apis.filter { api in api.fields.contains { $0.name == name } }.map(\.word)
            if violation.path.count <= 1, !owners.isEmpty {
                return "move \(name) under your provider's section (\(owners.map { "\($0):" }.joined(separator: " or "))), indented"
            }
            return allowed.isEmpty ? "remove '\(name)'" : "remove '\(name)'; the keys allowed here are \(allowed.joined(separator: ", "))"
        case let .missingProperty(name):
            let full = field.isEmpty ? name : "\(field).\(name)"
            if name == "smtp" { return "add an smtp: section (host, port, username, password), or change provider" }
            if let api = ProviderSchemes.apis.first(where: { $0.word == name }) {
                return "add a \(name): section (\(api.fields.map(\.name).joined(separator: ", "))), or change provider"
            }
            if full == "company", schema["properties"]?["company"] != nil {
                // The file's name is the id people expect (companies/acme.yaml holds acme).
                let stem = ((files.absolutePath(of: violation.mark) ?? "") as NSString).lastPathComponent
                    .split(separator: ".").first.map(String.init) ?? ""
                return "add company: " + (Self.isPlainID(stem) ? stem : "an id of lowercase letters, digits and '-'")
            }
            return missingKeyHint(full, at: violation.path + [.key(name)])
        case let .type(expected, actual):
            if case .string(let s) = actual, ["yes", "no", "on", "off", "y", "n"].contains(s.lowercased()), expected.contains("boolean") {
                return "write \(field): true or false; mailform reads YAML 1.2, where '\(s)' is text"
            }
            if case .string(let s) = actual, expected.contains("integer"), Int(s) != nil {
                return "write \(field): \(s) without quotes"
            }
            return describe(violation.path)
        case let .notInEnum(allowed, actual):
            let names = allowed.compactMap(\.stringValue)
            if let text = actual.stringValue, let best = DidYouMean.closest(to: text, among: names) {
                return "did you mean '\(best)'?"
            }
            if !names.isEmpty, names.count == allowed.count, !field.isEmpty {
                return "set \(field) to \(Self.alternatives(names))"
            }
            return describe(violation.path)
        default:
            return describe(violation.path)
        }
    }

    /// `write password: ${env:MAILFORM_ACME_SMTP_PASSWORD} or password: ${file:../secrets/acme-smtp.txt}`:
    /// the file reference is relative to the file the value is in, so it
    /// works as written.
    func literalSecretHint(_ violation: Violation, companyID: String?) -> String {
        let key = violation.subject
        // An id that is not valid (it has its own error) names no variable or file.
        let id = companyID.flatMap { Self.isPlainID($0) ? $0 : nil } ?? "company"
        // A provider's secret is named for its section (acme-mailgun.txt).
        let section = violation.path.dropLast().last.flatMap { element -> String? in if case .key(let k) = element { k } else { nil } }
        let provider = ProviderSchemes.apis.first { $0.word == section && $0.secretFields.contains { $0.name == key } }
        let fileName = provider.map { "\(id)-\($0.word).txt" }
            ?? (key == "password" ? "\(id)-smtp.txt"
                : key == "service_account_key" ? "\(id)-google-sa.json" : "\(id)-\(key.replacingOccurrences(of: "_", with: "-")).txt")
        var reference = "secrets/" + fileName
        if let secretsFolder, let file = files.absolutePath(of: violation.mark) {
            let relative = Paths.relative(secretsFolder + "/" + fileName, from: Paths.directory(of: file))
            // A folder that shares nothing with the file but `/` (secrets.dirs: [/run/secrets]) is named as it is.
            let sharesOnlyRoot = Paths.commonAncestor(secretsFolder, file) == "/"
            reference = sharesOnlyRoot ? secretsFolder + "/" + fileName : relative
        }
        // Named as `export` names it.
        let env = SecretNames.envName(company: id, path: violation.path.dotted)
        return "write \(key): ${env:\(env)} or \(key): ${file:\(reference)}, and keep the value out of Git"
    }

    static func isPlainID(_ id: String) -> Bool {
        guard let first = id.utf8.first, id.utf8.count <= 63, first != UInt8(ascii: "-") else { return false }
        return id.utf8.allSatisfy { b in (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D }
    }

    /// `add provider: smtp, mailgun or platform`: what the missing key takes,
    /// in a few words (the schema's enum or type), never its description.
    func missingKeyHint(_ field: String, at path: [PathElement]) -> String {
        guard let node = SchemaCatalog.node(in: schema, at: path) else { return "add \(field)" }
        if let secret = node["pattern"]?.value.stringValue, secret.hasPrefix("^\\$\\{") {
            return "add \(field): ${env:NAME} or ${file:PATH}"
        }
        return "add \(field): \(Self.shape(of: node, root: schema))"
    }

    /// A value's shape in a few words: its enum values, its constant, or its type.
    static func shape(of node: JSONNode, root: JSONNode) -> String {
        if let values = node["enum"]?.value.elements {
            return alternatives(values.map { $0.value.stringValue ?? $0.value.shortDescription })
        }
        if let constant = node["const"] { return constant.value.stringValue ?? constant.value.shortDescription }
        switch node["type"]?.value.stringValue {
        case "string":
            switch node["format"]?.value.stringValue {
            case "email": return "an e-mail address"
            case "hostname": return "a host name"
            default: return "text"
            }
        case "integer": return "a whole number"
        case "number": return "a number"
        case "boolean": return "true or false"
        case "array":
            guard let items = node["items"].map({ SchemaCatalog.resolveRef($0, root: root) }) else { return "a list" }
            if let values = items["enum"]?.value.elements {
                return "a list of " + values.map { $0.value.stringValue ?? $0.value.shortDescription }.joined(separator: ", ")
            }
            if items["type"]?.value.stringValue == "object" || items["properties"] != nil {
                let required = items["required"]?.value.elements?.compactMap(\.value.stringValue) ?? []
                return required.isEmpty ? "a list of mappings" : "a list of mappings, each with \(required.joined(separator: ", "))"
            }
            return "a list of " + shape(of: items, root: root)
        case "object":
            let required = node["required"]?.value.elements?.compactMap(\.value.stringValue) ?? []
            return required.isEmpty ? "a mapping" : "a mapping with \(required.joined(separator: ", "))"
        default:
            if node["properties"] != nil { return "a mapping" }
            return "a value"
        }
    }

    /// `a`, `a or b`, `a, b or c`.
    static func alternatives(_ names: [String]) -> String {
        names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// The schema's description of the field, or of the nearest parent that
    /// has one (a list item is described by its list).
    private func describe(_ path: [PathElement]) -> String? {
        var current = path
        while !current.isEmpty {
            if let text = SchemaCatalog.description(in: schema, at: current) { return "\(current.dotted): \(text)" }
            current.removeLast()
        }
        return nil
    }
}

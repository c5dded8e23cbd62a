import JSONSchema

/// Turns schema violations into diagnostics a user can act on: the message of
/// the violation, and a hint that names the field and the fix.
struct SchemaDiagnostics {
    let files: SourceFiles
    let schema: JSONNode

    func diagnostics(for violations: [Violation], companyID: String?) -> [Diagnostic] {
        violations.map { violation in
            Diagnostic.error(message(for: violation), at: files.location(violation.mark), hint: hint(for: violation, companyID: companyID))
        }
    }

    /// The validator's message, except at a secret field, where the value
    /// (a literal, a number, a list) is never repeated.
    func message(for violation: Violation) -> String {
        guard isSecretField(violation), !isUnknownKey(violation) else { return violation.message }
        return "\(violation.subject) must be a secret reference like ${env:NAME} or ${file:PATH}, never a literal value"
    }

    func isSecretField(_ violation: Violation) -> Bool {
        if case .key(let last)? = violation.path.last { return SecretFields.keys.contains(last) }
        return false
    }

    func isUnknownKey(_ violation: Violation) -> Bool {
        if case .unknownProperty = violation.kind { return true }
        return false
    }

    func hint(for violation: Violation, companyID: String?) -> String? {
        let field = violation.path.dotted
        if isSecretField(violation) && !isUnknownKey(violation) {
            let key = violation.subject
            let id = (companyID ?? "company").uppercased().replacingOccurrences(of: "-", with: "_")
            let kind = key == "api_key" ? "MAILGUN_KEY" : "SMTP_PASSWORD"
            return "write \(key): ${env:MAILFORM_\(id)_\(kind)} or \(key): ${file:secrets/\(companyID ?? "company")-\(key == "api_key" ? "mailgun" : "smtp").txt}, and keep the value out of Git"
        }
        switch violation.kind {
        case let .unknownProperty(name, allowed):
            if let suggestion = violation.suggestion { return suggestion }
            return allowed.isEmpty ? "remove '\(name)'" : "remove '\(name)'; the keys allowed here are \(allowed.joined(separator: ", "))"
        case let .missingProperty(name):
            let full = field.isEmpty ? name : "\(field).\(name)"
            if name == "smtp" { return "add an smtp: section (host, port, username, password), or change provider" }
            if name == "mailgun" { return "add a mailgun: section (domain, api_key, region), or change provider" }
            if let text = SchemaCatalog.description(in: schema, at: violation.path + [.key(name)]) {
                return "add \(full): \(text)"
            }
            return "add \(full)"
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
            return describe(violation.path)
        default:
            return describe(violation.path)
        }
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

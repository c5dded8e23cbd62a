import Foundation

/// The names secrets are exported under, and that hints suggest for them:
/// one function, so `export`, the literal-secret hint and the docs agree.
public enum SecretNames {
    /// The environment variable a secret at `path` of a company is read from:
    /// `MAILFORM_ACME__SMTP_PASSWORD`, `MAILFORM_ACME__POOL_RELAY__A_0_OAUTH2_CLIENT_SECRET`,
    /// `MAILFORM_ACME__MAILGUN_API_KEY` (a provider's section and field). The
    /// secret's part comes from its field in `SMTPServerShape`.
    public static func envName(company: String, path: String) -> String {
        for api in ProviderSchemes.apis {
            for field in api.secretFields where path == api.path(field) {
                return "MAILFORM_\(sanitize(company))__\(sanitize(api.word))_\(sanitize(field.name))"
            }
        }
        // smtp.KEY, or smtp_pools.NAME.servers[I].KEY
        let server: String, key: String
        if path.hasPrefix("smtp.") {
            (server, key) = ("SMTP", String(path.dropFirst(5)))
        } else if let close = path.range(of: "].") {
            let head = path[..<close.lowerBound]   // smtp_pools.NAME.servers[I
            key = String(path[close.upperBound...])
            let pool = head.dropFirst("smtp_pools.".count).components(separatedBy: ".servers[").first ?? "POOL"
            let index = head.split(separator: "[").last.map(String.init) ?? "0"
            // '_' doubles, so pools 'relay-a' and 'relay_a' get different names.
            server = "POOL_\(sanitize(pool.replacingOccurrences(of: "_", with: "__")))_\(sanitize(index))"
        } else {
            (server, key) = ("SECRET", path)
        }
        let suffix = SMTPServerShape.field(key)?.envSuffix ?? sanitize(key)
        // The default fence's form: the company, `__`, then the secret's name.
        return "MAILFORM_\(sanitize(company))__\(server)_\(suffix)"
    }

    static func sanitize(_ s: String) -> String {
        String(s.uppercased().unicodeScalars.map { c in
            (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) ? Character(c) : "_"
        })
    }
}

import Foundation
import JSONSchema

/// Mailchimp Transactional's probe: `POST /api/1.0/users/ping2` with the key
/// in the JSON body (a valid key answers `{"PING": "PONG!"}`), then
/// `POST /api/1.0/senders/domains`: the sending domain must be there,
/// verified, with SPF and DKIM valid as Mandrill reports them. Nothing is
/// sent. Errors are `{"status": "error", "code": N, "name": …, "message": …}`;
/// their `name` decides (Mandrill moved wrong keys from HTTP 500 to 401 in
/// 2023), see docs/provider-apis.md.
public struct MailchimpProbe: APIProbe {
    public init() {}

    public var bases: [String: (variable: String, url: String)] {
        ["default": ("MAILFORM_MAILCHIMP_URL", "https://mandrillapp.com")]
    }

    public var failureKinds: [String] {
        ["mailchimp-key-rejected", "mailchimp-domain-unknown", "mailchimp-domain-unverified", "mailchimp-domain-dns", "mailchimp-response"]
    }

    public var publishedValues: Set<String> {
        ["v=spf1 include:spf.mandrillapp.com ?all", "dkim1.mandrillapp.com", "dkim2.mandrillapp.com"]
    }

    public func base(_ settings: APISettings<Void>) -> String { "default" }

    public func endpoint(_ settings: APISettings<Void>) -> String { settings.domain }

    public func request(_ settings: APISettings<Void>, bases: [String: String], answers: [APIAnswer]) -> APIRequest? {
        let base = bases["default"] ?? ""
        switch answers.count {
        case 0: return APIRequest(method: "POST", url: base + "/api/1.0/users/ping2", auth: .jsonBody(member: "key"))
        case 1 where Self.isPong(answers[0]): return APIRequest(method: "POST", url: base + "/api/1.0/senders/domains", auth: .jsonBody(member: "key"))
        default: return nil
        }
    }

    static func isPong(_ answer: APIAnswer) -> Bool {
        guard answer.transport == nil, answer.status == 200, !answer.overflow else { return false }
        return (try? JSONParser.parse(bytes: answer.body))?["PING"]?.value.stringValue == "PONG!"
    }

    /// Mandrill's error names; no other text of the server is shown (its
    /// message may quote what was sent).
    static let errorNames: Set<String> = ["Invalid_Key", "ValidationError", "GeneralError", "RequestLimitExceeded", "Unknown_Method",
                                          "PaymentRequired", "Unknown_Subaccount", "ServiceUnavailable"]

    static func error(_ answer: APIAnswer) -> (name: String?, message: String?) {
        guard let node = try? JSONParser.parse(bytes: answer.body), node["status"]?.value.stringValue == "error" else { return (nil, nil) }
        return (node["name"]?.value.stringValue.flatMap { errorNames.contains($0) ? $0 : "an unknown error" }, nil)
    }

    public func verdict(_ settings: APISettings<Void>, answers: [APIAnswer]) -> APIVerdict {
        func failure(_ kind: String, _ message: String, _ hint: String, _ field: String? = nil) -> APIVerdict {
            APIVerdict(failure: .init(kind: kind, message: message, hint: hint, field: field))
        }
        if let failure = APIVerdict.unreachable(answers, name: "Mailchimp Transactional", word: "mailchimp", bases: "MAILFORM_MAILCHIMP_URL") {
            return failure
        }
        guard let ping = answers.first else {
            return failure("mailchimp-response", "the Mailchimp Transactional API was not asked", "run the probe again")
        }
        guard Self.isPong(ping) else {
            let (name, message) = Self.error(ping)
            switch name {
            case "Invalid_Key"?, "ValidationError"?:
                return failure("mailchimp-key-rejected", "Mailchimp Transactional rejected the API key (HTTP \(ping.status), \(name!)\(message.map { ": \($0)" } ?? ""))",
                               "check the secret behind mailchimp.api_key: a Mailchimp Transactional (Mandrill) API key from Settings > SMTP & API Info, not a Mailchimp marketing key",
                               "api_key")
            default:
                if ping.status == 429 || name == "RequestLimitExceeded" {
                    return failure("mailchimp-response", "Mailchimp Transactional rate-limited the probe (HTTP \(ping.status))",
                                   "probe fewer companies at once (--company) or try again in a minute")
                }
                return failure("mailchimp-response", "the Mailchimp Transactional API answered HTTP \(ping.status)\(name.map { " (\($0))" } ?? "") to users/ping2, not PONG",
                               "try again later; check MAILFORM_MAILCHIMP_URL and Mailchimp's status page")
            }
        }
        guard answers.count > 1, answers[1].status == 200, let list = try? JSONParser.parse(bytes: answers[1].body),
              let domains = list.value.elements else {
            let status = answers.count > 1 ? "HTTP \(answers[1].status)" : "no answer"
            return failure("mailchimp-response", "the Mailchimp Transactional API did not list the sending domains (\(status))",
                           "try again later; check Mailchimp's status page")
        }
        let wanted = settings.domain.lowercased()
        guard let entry = domains.prefix(10_000).first(where: { $0["domain"]?.value.stringValue?.lowercased() == wanted }) else {
            return failure("mailchimp-domain-unknown", "Mailchimp Transactional has no sending domain '\(SafeText.escape(settings.domain))' for this key",
                           "add \(SafeText.escape(settings.domain)) under Settings > Domains in Mailchimp Transactional and verify it, or correct mailchimp.domain",
                           "domain")
        }
        func check(_ name: String) -> (valid: Bool?, error: String?) {
            guard let node = entry[name] else { return (nil, nil) }
            let valid: Bool? = if case .bool(let b) = node["valid"]?.value { b } else { nil }
            return (valid, nil)
        }
        let spf = check("spf"), dkim = check("dkim"), dkim2 = check("dkim2")
        let verified: Bool = { if let at = entry["verified_at"], at.value.stringValue?.isEmpty == false { return true } else { return false } }()
        var verdict = APIVerdict()
        verdict.domainState = verified ? "verified" : "unverified"
        // The records Mandrill checks (its answer says valid or not, not their values).
        verdict.records = [
            ProviderDNSRecord(recordType: "TXT", name: wanted, value: "v=spf1 include:spf.mandrillapp.com ?all", valid: spf.valid),
            ProviderDNSRecord(recordType: "CNAME", name: "mte1._domainkey." + wanted, value: "dkim1.mandrillapp.com", valid: dkim.valid, purpose: .dkim),
            ProviderDNSRecord(recordType: "CNAME", name: "mte2._domainkey." + wanted, value: "dkim2.mandrillapp.com", valid: dkim2.valid, purpose: .dkim),
        ]
        guard verified else {
            verdict.failure = .init(kind: "mailchimp-domain-unverified", message: "sending domain '\(SafeText.escape(settings.domain))' is not verified in Mailchimp Transactional",
                                    hint: "verify \(SafeText.escape(settings.domain)) under Settings > Domains (the verification e-mail or the mandrill_verify TXT record)",
                                    field: "domain")
            return verdict
        }
        var broken: [String] = []
        // Valid only when Mandrill says so: a check it does not report is not a pass.
        if spf.valid != true { broken.append("SPF") }
        if dkim.valid != true && dkim2.valid != true { broken.append("DKIM") }
        // Mandrill's own summary: false means it will not sign for the domain
        // (a record or the ownership check is missing), whatever else it says.
        if broken.isEmpty, case .bool(false)? = entry["valid_signing"]?.value { broken.append("signing (valid_signing is false)") }
        if !broken.isEmpty {
            verdict.failure = .init(kind: "mailchimp-domain-dns", message: "Mailchimp Transactional reports \(broken.joined(separator: " and ")) of '\(SafeText.escape(settings.domain))' as not valid",
                                    hint: "publish the records Settings > Domains lists for \(SafeText.escape(settings.domain)) (SPF include:spf.mandrillapp.com; DKIM CNAMEs mte1/mte2._domainkey), then test them there",
                                    field: "domain")
        }
        return verdict
    }
}

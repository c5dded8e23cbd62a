import Foundation
import JSONSchema

/// SendGrid's probe, nothing sent: `GET /v3/scopes` with the key as a bearer
/// token (the key must hold `mail.send`), then the domain authentication of
/// the sending domain (`GET /v3/whitelabel/domains?domain=NAME`: an entry
/// for exactly that domain whose `valid` is true). A key without
/// `whitelabel.read` cannot read it: the domain is then "not checked", a
/// warning, not a failure. Errors are `{"errors": [{"field": …, "message": …}]}`;
/// see docs/provider-apis.md.
public struct SendGridProbe: APIProbe {
    public init() {}

    public var bases: [String: (variable: String, url: String)] {
        ["global": ("MAILFORM_SENDGRID_URL", "https://api.sendgrid.com"), "eu": ("MAILFORM_SENDGRID_EU_URL", "https://api.eu.sendgrid.com")]
    }

    public var failureKinds: [String] {
        ["sendgrid-key-rejected", "sendgrid-other-region", "sendgrid-key-scope", "sendgrid-domain-unknown", "sendgrid-domain-invalid", "sendgrid-response"]
    }

    public var publishedValues: Set<String> { ["mx.sendgrid.net", "mx.sendgrid.net.", "v=spf1 include:sendgrid.net ~all"] }

    private func region(_ settings: APISettings<Void>) -> String { settings.value("region") == "eu" ? "eu" : "global" }

    public func base(_ settings: APISettings<Void>) -> String { region(settings) }

    public func endpoint(_ settings: APISettings<Void>) -> String { "\(settings.domain) (\(region(settings)))" }

    /// The scopes of a 200 answer to `/v3/scopes`.
    static func scopes(_ answer: APIAnswer) -> Set<String>? {
        guard answer.transport == nil, answer.status == 200, !answer.overflow,
              let list = (try? JSONParser.parse(bytes: answer.body))?["scopes"]?.value.elements else { return nil }
        return Set(list.prefix(1_000).compactMap(\.value.stringValue))
    }

    public func request(_ settings: APISettings<Void>, bases: [String: String], answers: [APIAnswer]) -> APIRequest? {
        let base = bases[region(settings)] ?? ""
        switch answers.count {
        case 0:
            return APIRequest(url: base + "/v3/scopes", auth: .bearer)
        case 1 where answers[0].transport == nil && answers[0].status == 401:
            // Refused here: is it a key of the other region's API? (a hint that names the fix)
            guard let other = bases[region(settings) == "eu" ? "global" : "eu"] else { return nil }
            return APIRequest(url: other + "/v3/scopes", auth: .bearer)
        case 1:
            // Only a key that may send and read domain authentication asks for it.
            guard let scopes = Self.scopes(answers[0]), scopes.contains("mail.send"), scopes.contains("whitelabel.read") else { return nil }
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let domain = settings.domain.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
            return APIRequest(url: base + "/v3/whitelabel/domains?domain=\(domain)&limit=200", auth: .bearer)
        default:
            return nil
        }
    }

    public func verdict(_ settings: APISettings<Void>, answers: [APIAnswer]) -> APIVerdict {
        func failure(_ kind: String, _ message: String, _ hint: String, _ field: String? = nil) -> APIVerdict {
            APIVerdict(failure: .init(kind: kind, message: message, hint: hint, field: field))
        }
        // The other region's answer only says where the key belongs; its failure is not this endpoint's.
        let own = answers.first?.status == 401 ? Array(answers.prefix(1)) : answers
        if let failure = APIVerdict.unreachable(own, name: "SendGrid", word: "sendgrid", bases: "MAILFORM_SENDGRID_URL (MAILFORM_SENDGRID_EU_URL)") {
            return failure
        }
        guard let first = answers.first else { return failure("sendgrid-response", "the SendGrid API was not asked", "run the probe again") }
        if first.status == 302 || first.status == 301 || first.status == 307 || first.status == 308 {
            return failure("sendgrid-response", "the SendGrid API answered with a redirect (HTTP \(first.status)), which the probe does not follow with the key",
                           "check MAILFORM_SENDGRID_URL / MAILFORM_SENDGRID_EU_URL: set them to the API's own address")
        }
        let region = region(settings)
        switch first.status {
        case 200: break
        case 401, 403:
            let other = region == "eu" ? "global" : "eu"
            if first.status == 401, answers.count > 1, answers[1].transport == nil, answers[1].status == 200 {
                return failure("sendgrid-other-region", "the API key belongs to SendGrid's \(other == "eu" ? "EU" : "global") API, not the \(region == "eu" ? "EU" : "global") one",
                               "set sendgrid.region: \(other)", "region")
            }
            // Say "neither" only when the other region was asked too (it is
            // asked only when the key may go everywhere, --send-credentials).
            let askedOther = first.status == 401 && answers.count > 1
            return failure("sendgrid-key-rejected", "SendGrid rejected the API key (HTTP \(first.status))",
                           "check the secret behind sendgrid.api_key: a SendGrid API key (SG.…) from Settings > API Keys; "
                               + (askedOther ? "neither the global nor the EU API accepts this one"
                                             : "the \(region == "eu" ? "EU" : "global") API does not accept it (if it is a key of the \(other == "eu" ? "EU" : "global") API, set sendgrid.region: \(other))"),
                           "api_key")
        case 429:
            return failure("sendgrid-response", "SendGrid rate-limited the probe (HTTP 429)", "probe fewer companies at once (--company) or try again in a minute")
        default:
            return failure("sendgrid-response", "the SendGrid API answered HTTP \(first.status) to /v3/scopes", "try again later; check SendGrid's status page")
        }
        guard let scopes = Self.scopes(first) else {
            return failure("sendgrid-response", "the SendGrid API's answer to /v3/scopes lists no scopes", "try again later; check MAILFORM_SENDGRID_URL")
        }
        guard scopes.contains("mail.send") else {
            return failure("sendgrid-key-scope", "the API key lacks the mail.send scope: it cannot send mail",
                           "give the key Mail Send access (Settings > API Keys), or put a key that has it behind sendgrid.api_key", "api_key")
        }
        var verdict = APIVerdict()
        guard answers.count > 1 else {
            verdict.warnings.append("domain authentication of \(SafeText.escape(settings.domain)) not checked: the key lacks whitelabel.read (give it read access to Sender Authentication to check it)")
            return verdict
        }
        let domains = answers[1]
        if domains.status == 401 || domains.status == 403 {
            verdict.warnings.append("domain authentication of \(SafeText.escape(settings.domain)) not checked: the key lacks whitelabel.read (HTTP \(domains.status))")
            return verdict
        }
        guard domains.status == 200, let list = (try? JSONParser.parse(bytes: domains.body))?.value.elements else {
            return failure("sendgrid-response", "the SendGrid API did not list the authenticated domains (HTTP \(domains.status))",
                           "try again later; check SendGrid's status page")
        }
        // `domain=` is a search: only an entry for exactly this domain counts.
        let wanted = settings.domain.lowercased()
        let entries = list.prefix(1_000).filter { $0["domain"]?.value.stringValue?.lowercased() == wanted }
        guard !entries.isEmpty else {
            return failure("sendgrid-domain-unknown", "SendGrid has no authenticated domain '\(SafeText.escape(settings.domain))' for this key",
                           "authenticate \(SafeText.escape(settings.domain)) under Settings > Sender Authentication in SendGrid, or correct sendgrid.domain",
                           "domain")
        }
        let valid = entries.first { if case .bool(true)? = $0["valid"]?.value { true } else { false } }
        let chosen = valid ?? entries[0]
        verdict.records = (chosen["dns"]?.value.members ?? []).prefix(16).compactMap { member -> ProviderDNSRecord? in
            let record = member.value
            guard let type = record["type"]?.value.stringValue, ["cname", "txt", "mx"].contains(type.lowercased()),
                  let host = record["host"]?.value.stringValue, ProviderDNSRecord.isDNSName(host),
                  let data = record["data"]?.value.stringValue, data.utf8.count <= 2_048 else { return nil }
            let ok: Bool? = if case .bool(let b)? = record["valid"]?.value { b } else { nil }
            return ProviderDNSRecord(recordType: SafeText.escape(type.uppercased()), name: SafeText.escape(host), value: SafeText.escape(data), valid: ok)
        }
        verdict.domainState = valid != nil ? "authenticated" : "not valid"
        if valid == nil {
            // Neither the server's names nor how many: a hostile server could
            // spell the key in either (the records say which kinds failed).
            verdict.failure = .init(kind: "sendgrid-domain-invalid",
                                    message: "SendGrid reports the domain authentication of '\(SafeText.escape(settings.domain))' as not valid",
                                    hint: "publish the records Settings > Sender Authentication lists for \(SafeText.escape(settings.domain)) exactly, then verify them there",
                                    field: "domain")
        }
        return verdict
    }
}

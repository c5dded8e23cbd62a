import Foundation
import JSONSchema

/// Mailgun's probe: the domains API (`GET /v4/domains/NAME`, basic auth
/// `api:KEY`) in the company's region, then, when the domain is not
/// there, in the other region; nothing is sent. The answer says whether
/// the key is accepted, the domain exists in that region, its state, and
/// the DNS records Mailgun wants for it.
public struct MailgunProbe: APIProbe {
    public init() {}

    public var bases: [String: (variable: String, url: String)] {
        ["us": ("MAILFORM_MAILGUN_US_URL", "https://api.mailgun.net"), "eu": ("MAILFORM_MAILGUN_EU_URL", "https://api.eu.mailgun.net")]
    }

    public var failureKinds: [String] { ["mailgun-key-rejected", "mailgun-domain-unknown", "mailgun-other-region", "mailgun-response"] }

    public var publishedValues: Set<String> {
        ["v=spf1 include:mailgun.org ~all", "mailgun.org", "eu.mailgun.org", "mxa.mailgun.org", "mxb.mailgun.org",
         "mxa.eu.mailgun.org", "mxb.eu.mailgun.org"]
    }

    private func region(_ settings: APISettings<Void>) -> String { settings.value("region") == "eu" ? "eu" : "us" }

    public func base(_ settings: APISettings<Void>) -> String { region(settings) }

    private func domainURL(_ base: String, _ domain: String) -> String {
        "\(base)/v4/domains/\(domain.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? domain)"
    }

    public func request(_ settings: APISettings<Void>, bases: [String: String], answers: [APIAnswer]) -> APIRequest? {
        let mine = region(settings)
        switch answers.count {
        case 0:
            return APIRequest(url: domainURL(bases[mine] ?? "", settings.domain), auth: .basic(user: "api"))
        case 1 where answers[0].transport == nil && answers[0].status == 404 && !answers[0].overflow:
            // Not in this region: is it in the other? (a hint that names the fix; only when the key may go there)
            guard let other = bases[mine == "us" ? "eu" : "us"] else { return nil }
            return APIRequest(url: domainURL(other, settings.domain), auth: .basic(user: "api"))
        default:
            return nil
        }
    }

    public func endpoint(_ settings: APISettings<Void>) -> String { "\(settings.domain) (\(region(settings).uppercased()))" }

    public func verdict(_ settings: APISettings<Void>, answers: [APIAnswer]) -> APIVerdict {
        let mine = region(settings)
        let other = mine == "us" ? "eu" : "us"
        guard let primary = answers.first else {
            return APIVerdict(failure: .init(kind: "mailgun-response", message: "the Mailgun API was not asked", hint: "run the probe again"))
        }
        if let failure = APIVerdict.unreachable([primary], name: "Mailgun", word: "mailgun", bases: "MAILFORM_MAILGUN_\(mine.uppercased())_URL") {
            return failure
        }
        switch primary.status {
        case 200:
            var verdict = APIVerdict()
            let node = try? JSONParser.parse(bytes: primary.body)
            // A 200 that is not Mailgun's answer for this domain (a captive portal's page) proves nothing.
            guard node?["domain"]?["name"]?.value.stringValue?.lowercased() == settings.domain.lowercased() else {
                return APIVerdict(failure: .init(kind: "mailgun-response", message: "the Mailgun API's answer (HTTP 200) is not a description of domain '\(settings.domain)'",
                                                 hint: "check MAILFORM_MAILGUN_\(mine.uppercased())_URL and the network path to Mailgun (a proxy or captive portal may answer instead)"))
            }
            // Mailgun's states only: no free text from the server is shown.
            verdict.domainState = node?["domain"]?["state"]?.value.stringValue.flatMap { ["active", "unverified", "disabled"].contains($0) ? $0 : "unknown" }
            verdict.records = (node?["sending_dns_records"]?.value.elements ?? []).prefix(64).compactMap { record in
                guard let type = record["record_type"]?.value.stringValue, ["TXT", "CNAME", "MX"].contains(type.uppercased()),
                      let name = record["name"]?.value.stringValue, ProviderDNSRecord.isDNSName(name),
                      let value = record["value"]?.value.stringValue, value.utf8.count <= 2_048 else { return nil }
                let state = record["valid"]?.value.stringValue
                return ProviderDNSRecord(recordType: SafeText.escape(type), name: SafeText.escape(name), value: SafeText.escape(value),
                                         valid: state == "valid" ? true : state == "invalid" ? false : nil)
            }
            if let state = verdict.domainState, state != "active", state != "unknown" {
                verdict.notes.append("domain state is '\(state)': Mailgun sends only from active domains; finish its DNS verification")
            }
            return verdict
        case 401, 403:
            return APIVerdict(failure: .init(kind: "mailgun-key-rejected", message: "Mailgun rejected the API key (HTTP \(primary.status))",
                                             hint: "check the secret behind mailgun.api_key (an account API key; a domain sending key can only be checked with --send-test)",
                                             field: "api_key"))
        case 404:
            if answers.count > 1, answers[1].transport == nil, answers[1].status == 200 {
                return APIVerdict(failure: .init(kind: "mailgun-other-region", message: "domain '\(settings.domain)' exists only in the \(other.uppercased()) region",
                                                 hint: "set mailgun.region: \(other)", field: "region"))
            }
            if answers.count == 1 {
                // The other region was not asked: the store trusts this key with this region only.
                return APIVerdict(failure: .init(kind: "mailgun-domain-unknown", message: "Mailgun knows no domain '\(settings.domain)' for this key in the \(mine.uppercased()) region",
                                                 hint: "check mailgun.domain and mailgun.region (the \(other.uppercased()) region was not asked with a key the store holds for \(mine.uppercased()); --send-credentials asks it)",
                                                 field: "domain"))
            }
            return APIVerdict(failure: .init(kind: "mailgun-domain-unknown", message: "Mailgun knows no domain '\(settings.domain)' for this key in either region",
                                             hint: "check mailgun.domain, and that the key belongs to the account that owns it", field: "domain"))
        case 429:
            return APIVerdict(failure: .init(kind: "mailgun-response", message: "Mailgun rate-limited the probe (HTTP 429)",
                                             hint: "probe fewer companies at once (--company) or try again in a minute"))
        default:
            return APIVerdict(failure: .init(kind: "mailgun-response", message: "the Mailgun API answered HTTP \(primary.status)",
                                             hint: "try again later; check Mailgun's status page"))
        }
    }

    /// `POST /v3/DOMAIN/messages` in test mode (`o:testmode=yes`): Mailgun
    /// accepts the message without delivering it (and still counts it).
    public func testSend(_ settings: APISettings<Void>, bases: [String: String], from sender: String, to recipient: String, company: String) -> APIRequest? {
        let domain = settings.domain.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? settings.domain
        return APIRequest(method: "POST", url: "\(bases[region(settings)] ?? "")/v3/\(domain)/messages", auth: .basic(user: "api"),
                          form: [["from", sender], ["to", recipient], ["subject", "mailform test message for \(company)"],
                                 ["text", "This is a test message sent by 'mailform probe --send-test' in Mailgun's test mode."],
                                 ["o:testmode", "yes"]])
    }
}

import CCurl
import Foundation
import JSONSchema
import MailformCore

/// What the probe needs of one Mailgun domain.
public struct MailgunTarget: Sendable {
    public var company: String
    public var domain: String
    public var region: MailgunRegion
    public var apiKey: Secret
    public var location: SourceLocation?
    /// The sender of a `--send-test` message.
    public var sender: String = ""
    /// False when the key must not be sent (see `CredentialGate`).
    public var sendCredentials = true

    public init(company: String, domain: String, region: MailgunRegion, apiKey: Secret, location: SourceLocation?) {
        self.company = company
        self.domain = domain
        self.region = region
        self.apiKey = apiKey
        self.location = location
    }
}

/// Checks a Mailgun key and domain with the domains API (`GET /v4/domains/NAME`,
/// basic auth `api:KEY`), without sending: the key is accepted, the domain
/// exists in the configured region, and its state.
enum MailgunProbe {
    struct Answer {
        var code: CURLcode
        var status: Int
        var body: [UInt8]
        var overflow: Bool
        var message: String
    }

    static func configure(_ t: CurlTransfer, base: String, domain: String, key: Secret, options: ProbeOptions) {
        let escaped = domain.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? domain
        t.set(CURLOPT_URL, "\(base)/v4/domains/\(escaped)")
        t.set(CURLOPT_HTTPAUTH, 1) // CURLAUTH_BASIC
        t.set(CURLOPT_USERNAME, "api")
        key.withRevealedBytes { t.setSecret(CURLOPT_PASSWORD, $0) }
        t.set(CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_CONNECTTIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_FOLLOWLOCATION, 0)
        t.bodyLimit = 1 << 20
    }

    /// `POST /v3/DOMAIN/messages` in test mode (`o:testmode=yes`): Mailgun
    /// accepts the message without delivering it (and still counts it).
    static func configureTestSend(_ t: CurlTransfer, base: String, target: MailgunTarget, to recipient: String, options: ProbeOptions) {
        let escaped = target.domain.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? target.domain
        t.set(CURLOPT_URL, "\(base)/v3/\(escaped)/messages")
        t.set(CURLOPT_HTTPAUTH, 1)
        t.set(CURLOPT_USERNAME, "api")
        target.apiKey.withRevealedBytes { t.setSecret(CURLOPT_PASSWORD, $0) }
        func field(_ name: String, _ value: String) -> String {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
            return "\(encode(name))=\(encode(value))"
        }
        let body = [
            field("from", target.sender), field("to", recipient), field("subject", "mailform test message for \(target.company)"),
            field("text", "This is a test message sent by 'mailform probe --send-test' in Mailgun's test mode."),
            field("o:testmode", "yes"),
        ].joined(separator: "&")
        t.set(CURLOPT_COPYPOSTFIELDS, body)
        t.set(CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_CONNECTTIMEOUT_MS, options.timeoutMilliseconds)
    }

    static func answer(_ t: CurlTransfer, _ code: CURLcode) -> Answer {
        Answer(code: code, status: t.long(CURLINFO_RESPONSE_CODE), body: t.body, overflow: t.bodyOverflow, message: t.redact(t.errorMessage))
    }

    /// Classifies the answer of the configured region, with the other
    /// region's answer when the first was "not found".
    static func result(_ target: MailgunTarget, primary: Answer, other: Answer?, elapsed: Int) -> ProbeResult {
        var result = ProbeResult(company: target.company, endpointPath: "mailgun",
                                 endpoint: "\(target.domain) (\(target.region.rawValue.uppercased()))", location: target.location)
        let otherRegion = target.region == .us ? "eu" : "us"
        if primary.overflow {
            result.failure = ProbeFailure(kind: .mailgunResponse, stage: .api, message: "the Mailgun API answered with more than 1 MiB",
                                          hint: "check MAILFORM_MAILGUN_\(target.region.rawValue.uppercased())_URL or the network path to Mailgun")
            return result
        }
        guard primary.code == CURLE_OK else {
            let kind: ProbeFailureKind = primary.code == CURLE_OPERATION_TIMEDOUT ? .timeout
                : primary.code == CURLE_COULDNT_RESOLVE_HOST ? .dns : primary.code == CURLE_COULDNT_CONNECT ? .refused : .other
            result.failure = ProbeFailure(kind: kind, stage: .api,
                                          message: "the Mailgun API could not be reached: \(primary.message.isEmpty ? String(cString: curl_easy_strerror(primary.code)) : primary.message)",
                                          hint: "check the network path to Mailgun, or raise probe.timeout")
            return result
        }
        switch primary.status {
        case 200:
            result.stages.append((.api, elapsed))
            let node = try? JSONParser.parse(bytes: primary.body)
            result.domainState = node?["domain"]?["state"]?.value.stringValue.map(SafeText.escape)
            result.mailgunDNSRecords = (node?["sending_dns_records"]?.value.elements ?? []).prefix(64).compactMap { record in
                guard let type = record["record_type"]?.value.stringValue, let name = record["name"]?.value.stringValue,
                      let value = record["value"]?.value.stringValue else { return nil }
                let state = record["valid"]?.value.stringValue
                return MailgunDNSRecordState(recordType: SafeText.escape(type), name: SafeText.escape(name), value: SafeText.escape(value),
                                             valid: state == "valid" ? true : state == "invalid" ? false : nil)
            }
            if let state = result.domainState, state != "active" {
                result.notes.append("domain state is '\(state)': Mailgun sends only from active domains; finish its DNS verification")
            }
        case 401, 403:
            result.failure = ProbeFailure(kind: .mailgunKeyRejected, stage: .api, message: "Mailgun rejected the API key (HTTP \(primary.status))",
                                          hint: "check the secret behind mailgun.api_key (an account API key; a domain sending key can only be checked with --send-test)")
        case 404:
            if let other, other.code == CURLE_OK, other.status == 200 {
                result.failure = ProbeFailure(kind: .mailgunOtherRegion, stage: .api,
                                              message: "domain '\(target.domain)' exists only in the \(otherRegion.uppercased()) region",
                                              hint: "set mailgun.region: \(otherRegion)")
            } else {
                result.failure = ProbeFailure(kind: .mailgunDomainUnknown, stage: .api,
                                              message: "Mailgun knows no domain '\(target.domain)' for this key in either region",
                                              hint: "check mailgun.domain, and that the key belongs to the account that owns it")
            }
        case 429:
            result.failure = ProbeFailure(kind: .mailgunResponse, stage: .api, message: "Mailgun rate-limited the probe (HTTP 429)",
                                          hint: "probe fewer companies at once (--company) or try again in a minute")
        default:
            result.failure = ProbeFailure(kind: .mailgunResponse, stage: .api, message: "the Mailgun API answered HTTP \(primary.status)",
                                          hint: "try again later; check Mailgun's status page")
        }
        return result
    }
}

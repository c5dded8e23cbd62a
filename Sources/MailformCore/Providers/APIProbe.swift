/// A provider's probe, as data and pure functions: the requests to make
/// (one after another, each knowing the answers before it) and what the
/// answers mean. The probe stage runs them with libcurl, puts the key
/// where `APIRequest.Auth` says (never in a URL, a header list or a log),
/// and never sends a key the credential gate withholds.
public protocol APIProbe: Sendable {
    /// The base URLs, by name (`us`, `eu`; one provider may have only
    /// `default`): the environment variable that overrides each, and the
    /// public default (`MAILFORM_MAILGUN_US_URL`, `https://api.mailgun.net`).
    var bases: [String: (variable: String, url: String)] { get }
    /// The base a company's settings use (its region's).
    func base(_ settings: APISettings<Void>) -> String
    /// The request after `answers` (nil: done). Step 0 is the first.
    func request(_ settings: APISettings<Void>, bases: [String: String], answers: [APIAnswer]) -> APIRequest?
    /// What the answers mean: a failure with its kind and hint, or notes,
    /// and the DNS records the provider reports for the sending domain.
    func verdict(_ settings: APISettings<Void>, answers: [APIAnswer]) -> APIVerdict
    /// How the endpoint is shown (`mg.example.com (US)`).
    func endpoint(_ settings: APISettings<Void>) -> String
    /// `probe --send-test`: one message the provider accepts without
    /// delivering it, when it has such a mode (nil: it has none).
    func testSend(_ settings: APISettings<Void>, bases: [String: String], from sender: String, to recipient: String, company: String) -> APIRequest?
    /// Every failure kind it reports (`mailgun-key-rejected`), for the docs and the probe lab.
    var failureKinds: [String] { get }
    /// Record values the provider publishes for every customer (`include:mailgun.org`
    /// forms, `dkim1.mandrillapp.com`), in lower case: only these are shown as
    /// the provider's answer gives them (``ProviderRecordView``).
    var publishedValues: Set<String> { get }
}

extension APIProbe {
    public func testSend(_ settings: APISettings<Void>, bases: [String: String], from sender: String, to recipient: String, company: String) -> APIRequest? { nil }
}

/// One HTTP request of a provider's probe.
public struct APIRequest: Sendable, Hashable {
    /// Where the probe puts the key: HTTP basic auth with this user, a
    /// bearer token, or a member of a JSON body.
    public enum Auth: Sendable, Hashable {
        case basic(user: String)
        case bearer
        case jsonBody(member: String)
    }

    public var method: String
    public var url: String
    public var auth: Auth
    /// The JSON body's other members (`jsonBody`), or a form (`POST` of
    /// `application/x-www-form-urlencoded`), without the key.
    public var json: [String: String]
    public var form: [[String]]

    public init(method: String = "GET", url: String, auth: Auth, json: [String: String] = [:], form: [[String]] = []) {
        self.method = method
        self.url = url
        self.auth = auth
        self.json = json
        self.form = form
    }
}

/// What one request got back.
public struct APIAnswer: Sendable {
    public enum Transport: Sendable, Equatable { case timeout, dns, refused, other }

    /// nil when an HTTP answer came.
    public var transport: Transport?
    /// The transport's message, with any secret taken out.
    public var message: String
    public var status: Int
    public var body: [UInt8]
    /// The body was cut at the probe's limit.
    public var overflow: Bool
    public var elapsedMilliseconds: Int

    public init(transport: Transport?, message: String, status: Int, body: [UInt8], overflow: Bool, elapsedMilliseconds: Int) {
        self.transport = transport
        self.message = message
        self.status = status
        self.body = body
        self.overflow = overflow
        self.elapsedMilliseconds = elapsedMilliseconds
    }
}

/// A DNS record a provider says the sending domain needs, with its own
/// verdict (Mailgun's `sending_dns_records`, SendGrid's `dns`).
public struct ProviderDNSRecord: Sendable, Hashable {
    public enum Purpose: String, Sendable, Hashable { case spf, dkim, other }
    public var recordType: String
    public var name: String
    public var value: String
    /// nil: the provider did not say.
    public var valid: Bool?
    public var purpose: Purpose

    public init(recordType: String, name: String, value: String, valid: Bool?, purpose: Purpose) {
        self.recordType = recordType
        self.name = name
        self.value = value
        self.valid = valid
        self.purpose = purpose
    }

    /// A host name as a provider may list it: letters, digits, `-`, `_` and
    /// dots, at most 253 characters (anything else is not shown).
    public static func isDNSName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 253 && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
    }

    /// With its purpose read from the record: a TXT record that starts
    /// `v=spf1` is SPF, a TXT record under `._domainkey.` a DKIM key.
    public init(recordType: String, name: String, value: String, valid: Bool?) {
        let txt = recordType.uppercased() == "TXT"
        let purpose: Purpose = txt && value.lowercased().hasPrefix("v=spf1") ? .spf
            : txt && name.lowercased().contains("._domainkey.") ? .dkim : .other
        self.init(recordType: recordType, name: name, value: value, valid: valid, purpose: purpose)
    }
}

/// A provider probe's finding.
public struct APIVerdict: Sendable {
    public struct Failure: Sendable {
        /// A stable id (`mailgun-key-rejected`).
        public var kind: String
        public var message: String
        public var hint: String
        /// The field the hint is about, whose line the failure is shown at
        /// (`api_key`, `domain`); nil: the section.
        public var field: String?
        /// The transport failed (timeout, refused): the kind is the probe's own.
        public var transport: APIAnswer.Transport?

        public init(kind: String, message: String, hint: String, field: String? = nil, transport: APIAnswer.Transport? = nil) {
            self.kind = kind
            self.message = message
            self.hint = hint
            self.field = field
            self.transport = transport
        }
    }

    public var failure: Failure?
    public var notes: [String] = []
    /// Passed, but with something the operator should fix or know (a part
    /// that could not be checked with this key).
    public var warnings: [String] = []
    /// The sending domain's state as the provider names it (`active`).
    public var domainState: String?
    /// The records the provider reports; nil when it did not say.
    public var records: [ProviderDNSRecord]?

    public init(failure: Failure? = nil) { self.failure = failure }

    /// The first of `answers` that did not arrive whole, as the provider's
    /// failure: cut at the probe's 1 MiB (`WORD-response`), or not reached
    /// at all (the transport's kind); nil when every one arrived. One
    /// wording for every provider.
    /// - Parameters:
    ///   - name: how people know the provider ("SendGrid").
    ///   - word: its word, which starts the failure kind.
    ///   - bases: the variables that move its API, for the hint.
    public static func unreachable(_ answers: some Sequence<APIAnswer>, name: String, word: String, bases: String) -> APIVerdict? {
        for answer in answers {
            if answer.overflow {
                return APIVerdict(failure: .init(kind: word + "-response", message: "the \(name) API answered with more than 1 MiB",
                                                 hint: "check \(bases) or the network path to \(name)"))
            }
            if let transport = answer.transport {
                return APIVerdict(failure: .init(kind: "transport", message: "the \(name) API could not be reached: \(answer.message)",
                                                 hint: "check the network path to \(name), or raise probe.timeout", transport: transport))
            }
        }
        return nil
    }
}

import Foundation
import MailformCore
/// How probes run: bounds per endpoint and for the whole run.
public struct ProbeOptions: Sendable {
    public var timeoutMilliseconds: Int
    public var concurrency: Int
    public var proxy: String?
    public var caFile: String?
    /// The HTTP-API providers' base URLs set in the environment, by variable
    /// (`MAILFORM_MAILGUN_US_URL`); the others are the providers' defaults.
    public var apiBaseOverrides: [String: String] = [:]
    /// OAuth2 token bases: Microsoft Entra ID (`{base}/{tenant}/oauth2/v2.0/token`)
    /// and Google (`{base}/token`, also the JWT's audience).
    public var oauthMicrosoftBase = "https://login.microsoftonline.com"
    public var oauthGoogleBase = "https://oauth2.googleapis.com"
    /// `--send-test ADDRESS`: send one test message there (SMTP, or Mailgun's
    /// test mode) instead of stopping after AUTH. The only path that sends mail.
    public var sendTestTo: String?
    /// The whole run's deadline (`probe.deadline`): endpoints not done by
    /// then are reported "not probed: deadline reached" and fail the run.
    public var deadline: Date?

    /// The name the probe greets servers with (`EHLO name`): neutral by
    /// default, so a server a pull request chose learns nothing of the CI
    /// machine (`probe.ehlo` in the trusted workspace may set it).
    public var ehloName = ProbeOptions.defaultEHLOName
    /// Warn when a certificate expires within this many days (`probe.cert_warning_days`; 0: never).
    public var certWarningDays = 21
    /// The port MTA-STS policies are fetched from: 443, as RFC 8461 says;
    /// `MAILFORM_MTA_STS_PORT` moves it (the tests' HTTPS server).
    public var mtaSTSPort = 443
    public static let defaultEHLOName = "mailform.invalid"

    /// The platform's mail client, whose verdict the probe gives
    /// (`platform.mail_client` in the trusted workspace).
    public var platformClient = PlatformClient()

    /// Whether the deadline has passed.
    public var deadlinePassed: Bool { deadline.map { Date() >= $0 } ?? false }

    public init(timeoutMilliseconds: Int = 10_000, concurrency: Int = 64, proxy: String? = nil, caFile: String? = nil) {
        self.timeoutMilliseconds = timeoutMilliseconds
        self.concurrency = concurrency
        self.proxy = proxy
        self.caFile = caFile
    }

    /// A provider's base URLs by name (`us`, `eu`): the environment's, else its defaults.
    public func bases(_ probe: any APIProbe) -> [String: String] {
        probe.bases.mapValues { apiBaseOverrides[$0.variable] ?? $0.url }
    }

    /// Mailgun's US and EU bases (as `bases(_:)` gives them).
    public var mailgunUSBase: String { bases(MailgunProbe())["us"] ?? "" }
    public var mailgunEUBase: String { bases(MailgunProbe())["eu"] ?? "" }

    public struct InvalidBase: MailformError {
        public var description: String
        public var code: ErrorCode { .endpointOverride }
        public var message: String { description }
    }

    /// Reads each HTTP-API provider's base variables (`MAILFORM_MAILGUN_US_URL`,
    /// …), `MAILFORM_OAUTH_MICROSOFT_URL` and `MAILFORM_OAUTH_GOOGLE_URL` (for
    /// tests and sovereign clouds): https anywhere, plain http only to the
    /// loopback address.
    public mutating func applyEndpointOverrides(_ environment: [String: String]) throws {
        func read(_ name: String) throws -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            guard Self.isAllowedBase(value) else {
                throw InvalidBase(description: "\(name) must be an https URL (plain http is allowed only to the loopback address: 127.0.0.1, ::1 or localhost), without a user or password")
            }
            return value.hasSuffix("/") ? String(value.dropLast()) : value
        }
        for api in ProviderSchemes.apis {
            for (_, base) in api.probe.bases.sorted(by: { $0.key < $1.key }) {
                if let value = try read(base.variable) { apiBaseOverrides[base.variable] = value }
            }
        }
        if let value = try read("MAILFORM_OAUTH_MICROSOFT_URL") { oauthMicrosoftBase = value }
        if let value = try read("MAILFORM_OAUTH_GOOGLE_URL") { oauthGoogleBase = value }
        if let value = environment["MAILFORM_MTA_STS_PORT"], !value.isEmpty {
            guard let port = Int(value), (1...65_535).contains(port) else {
                throw InvalidBase(description: "MAILFORM_MTA_STS_PORT must be a port number from 1 to 65535")
            }
            mtaSTSPort = port
        }
    }

    /// https anywhere; http only when the host is exactly the loopback
    /// address. Parsed, not prefix-matched: `http://127.0.0.1:@evil/`
    /// names the host `evil`. No user part in either.
    static func isAllowedBase(_ value: String) -> Bool {
        guard let url = URLComponents(string: value), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
              !host.isEmpty, url.user == nil, url.password == nil, !value.contains("@") else { return false }
        switch scheme {
        case "https": return true
        case "http": return ["127.0.0.1", "localhost", "[::1]", "::1"].contains(host)
        default: return false
        }
    }
}

import Foundation
import MailformCore

/// The stages of an SMTP probe, in the order a session reaches them.
public enum ProbeStage: String, Sendable, Codable, CaseIterable {
    /// OAuth2: the token was fetched (before connecting).
    case token
    case connect, banner, ehlo, tls, auth, quit
    /// `--send-test`: the test message was accepted.
    case send
    /// Mailgun: the domain API answered.
    case api
}

/// Why an endpoint failed, classified so a user knows what to change.
public enum ProbeFailureKind: String, Sendable, Codable {
    case dns
    case refused
    case timeout
    /// Not probed: the run's deadline (`probe.deadline`) came first.
    case deadline
    case notSMTP = "not-smtp"
    /// The server broke the protocol: an invalid or oversized reply.
    case protocolViolation = "protocol-violation"
    /// The server closed the connection in the middle of a stage.
    case connectionClosed = "connection-closed"
    case starttlsNotOffered = "starttls-not-offered"
    case tlsVersionMismatch = "tls-version-mismatch"
    case tlsHandshake = "tls-handshake"
    case wrongPortKind = "wrong-port-kind"
    case certificateUntrusted = "certificate-untrusted"
    case certificateExpired = "certificate-expired"
    case certificateHostMismatch = "certificate-host-mismatch"
    case authNotOffered = "auth-not-offered"
    case credentialsRejected = "credentials-rejected"
    case mailgunKeyRejected = "mailgun-key-rejected"
    case mailgunDomainUnknown = "mailgun-domain-unknown"
    case mailgunOtherRegion = "mailgun-other-region"
    case mailgunResponse = "mailgun-response"
    /// OAuth2: the token endpoint refused (tenant, application, secret, grant)...
    case oauth2TokenRefused = "oauth2-token-refused"
    /// ... or could not be reached, or did not answer with a token.
    case oauth2TokenEndpoint = "oauth2-token-endpoint"
    /// The token was issued, but the SMTP server refused it (535 5.7.3).
    case oauth2TokenRejected = "oauth2-token-rejected"
    /// A password where the server allows only OAuth2 (Exchange Online's 5.7.139, 5.7.30).
    case basicAuthDisabled = "basic-auth-disabled"
    /// The platform's own mail client refuses these settings with this server
    /// (`PlatformClient`): the probe's verdict is the platform's.
    case platformClientRefuses = "platform-client-refuses"
    /// No sign-in mechanism the platform's client and the server share.
    case authMechanism = "auth-mechanism"
    case other
}

public struct ProbeFailure: Sendable {
    public var kind: ProbeFailureKind
    /// The stage that failed (for timeouts: the stage that never completed).
    public var stage: ProbeStage?
    public var message: String
    /// What to change, naming the YAML field.
    public var hint: String
    /// The field the hint tells the user to change (`smtp.password`), so the
    /// location points at its line — in the profile when it is inherited.
    public var field: String?

    public init(kind: ProbeFailureKind, stage: ProbeStage?, message: String, hint: String, field: String? = nil) {
        self.kind = kind
        self.stage = stage
        self.message = message
        self.hint = hint
        self.field = field
    }
}

/// The outcome of probing one endpoint.
public struct ProbeResult: Sendable {
    public var company: String
    /// `smtp`, `smtp_pools.NAME.servers[I]` or `mailgun`.
    public var endpointPath: String
    /// `host:port`, or the Mailgun domain and region.
    public var endpoint: String
    /// Where the endpoint is written, for the hint.
    public var location: SourceLocation?
    public var stages: [(stage: ProbeStage, milliseconds: Int)] = []
    public var capabilities: [String] = []
    public var tlsVersion: String?
    public var certificateExpiry: Date?
    public var failure: ProbeFailure?
    public var notes: [String] = []
    /// Passed, but something the operator must fix (a password sent in plain
    /// text, an expired certificate hidden by ssl_trust).
    public var warnings: [String] = []
    /// The dialogue as the probe saw it: server replies, and client commands by
    /// their verb only (the AUTH line carries credentials). For `--trace`.
    public var transcript: [String] = []
    /// Mailgun: the domain's state (`active`, `unverified`, ...).
    public var domainState: String?
    /// Mailgun: the SPF/DKIM/CNAME records the domain needs, as Mailgun's
    /// domain API reports them (`sending_dns_records`), for the DNS checks.
    public var mailgunDNSRecords: [MailgunDNSRecordState] = []

    /// Credentials were withheld (an endpoint that does not hold them yet): AUTH, or the Mailgun API call, did not run.
    public var credentialsWithheld = false

    public var ok: Bool { failure == nil }

    public var certificateDaysLeft: Int? {
        certificateExpiry.map { Int(($0.timeIntervalSinceNow / 86_400).rounded(.down)) }
    }

    public init(company: String, endpointPath: String, endpoint: String, location: SourceLocation?) {
        self.company = company
        self.endpointPath = endpointPath
        self.endpoint = endpoint
        self.location = location
    }
}

/// One of Mailgun's `sending_dns_records`.
public struct MailgunDNSRecordState: Sendable, Hashable {
    public var recordType: String
    public var name: String
    public var value: String
    /// `valid` → true, `invalid` → false, `unknown` (not checked yet) → nil.
    public var valid: Bool?
}

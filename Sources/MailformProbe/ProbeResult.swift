import Foundation
import MailformCore

/// The stages of an SMTP probe, in the order a session reaches them.
public enum ProbeStage: String, Sendable, Codable, CaseIterable {
    /// OAuth2: the token was fetched (before connecting).
    case token
    case connect, banner, ehlo, tls, auth, quit
    /// `--send-test`: the test message was accepted.
    case send
    /// An HTTP-API provider's API answered.
    case api
}

/// Why an endpoint failed, classified so a user knows what to change: a
/// stable id. The probe's own kinds are here; an HTTP-API provider adds
/// its own (`mailgun-key-rejected`) in its folder (`APIProbe.failureKinds`).
public struct ProbeFailureKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let dns = ProbeFailureKind(rawValue: "dns")
    public static let refused = ProbeFailureKind(rawValue: "refused")
    public static let timeout = ProbeFailureKind(rawValue: "timeout")
    /// Not probed: the run's deadline (`probe.deadline`) came first.
    public static let deadline = ProbeFailureKind(rawValue: "deadline")
    public static let notSMTP = ProbeFailureKind(rawValue: "not-smtp")
    /// The server broke the protocol: an invalid or oversized reply.
    public static let protocolViolation = ProbeFailureKind(rawValue: "protocol-violation")
    /// The server closed the connection in the middle of a stage.
    public static let connectionClosed = ProbeFailureKind(rawValue: "connection-closed")
    public static let starttlsNotOffered = ProbeFailureKind(rawValue: "starttls-not-offered")
    public static let tlsVersionMismatch = ProbeFailureKind(rawValue: "tls-version-mismatch")
    public static let tlsHandshake = ProbeFailureKind(rawValue: "tls-handshake")
    public static let wrongPortKind = ProbeFailureKind(rawValue: "wrong-port-kind")
    public static let certificateUntrusted = ProbeFailureKind(rawValue: "certificate-untrusted")
    public static let certificateExpired = ProbeFailureKind(rawValue: "certificate-expired")
    public static let certificateHostMismatch = ProbeFailureKind(rawValue: "certificate-host-mismatch")
    public static let authNotOffered = ProbeFailureKind(rawValue: "auth-not-offered")
    public static let credentialsRejected = ProbeFailureKind(rawValue: "credentials-rejected")
    /// OAuth2: the token endpoint refused (tenant, application, secret, grant)...
    public static let oauth2TokenRefused = ProbeFailureKind(rawValue: "oauth2-token-refused")
    /// ... or could not be reached, or did not answer with a token.
    public static let oauth2TokenEndpoint = ProbeFailureKind(rawValue: "oauth2-token-endpoint")
    /// The token was issued, but the SMTP server refused it (535 5.7.3).
    public static let oauth2TokenRejected = ProbeFailureKind(rawValue: "oauth2-token-rejected")
    /// A password where the server allows only OAuth2 (Exchange Online's 5.7.139, 5.7.30).
    public static let basicAuthDisabled = ProbeFailureKind(rawValue: "basic-auth-disabled")
    /// The platform's own mail client refuses these settings with this server
    /// (`PlatformClient`): the probe's verdict is the platform's.
    public static let platformClientRefuses = ProbeFailureKind(rawValue: "platform-client-refuses")
    /// No sign-in mechanism the platform's client and the server share.
    public static let authMechanism = ProbeFailureKind(rawValue: "auth-mechanism")
    public static let other = ProbeFailureKind(rawValue: "other")
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
    /// `smtp`, `smtp_pools.NAME.servers[I]`, or a provider's word (`mailgun`).
    public var endpointPath: String
    /// `host:port`, or the provider's domain (and region).
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
    /// An HTTP-API provider: the sending domain's state (`active`, `unverified`, ...).
    public var domainState: String?
    /// An HTTP-API provider: the records the sending domain needs, as the
    /// provider reports them (Mailgun's `sending_dns_records`), for the DNS
    /// checks; nil when it did not say.
    public var providerDNSRecords: [ProviderDNSRecord]?

    /// Credentials were withheld (an endpoint that does not hold them yet): AUTH, or the provider's API call, did not run.
    public var credentialsWithheld = false
    /// Nothing could be checked: a provider's API without its key (withheld)
    /// says nothing. Not a failure (a pull request cannot hold the key), and
    /// never shown or counted as ok.
    public var notChecked = false

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

import CCurl
import Foundation
import JSONSchema
import MailformCore

/// Fetches the XOAUTH2 token of an `auth: oauth2` server, the way the
/// platform will before each connection, and classifies what the identity
/// provider says (Entra ID's AADSTS codes, Google's OAuth errors) into a hint
/// that names the field to change. Tokens, assertions and client secrets
/// never enter a message: of the provider's answer only its error codes
/// are shown, never its text.
enum TokenFetch {
    /// One token, shared by every server with the same client: Microsoft
    /// client-credential tokens act for the application (any mailbox it may
    /// send as), so 1,000 companies of one app need one request; Google's act
    /// for one subject.
    struct Client: Hashable {
        var provider: OAuth2Provider
        var url: String
        var clientID: String
        var scope: String
        var subject: String
        var secretDigest: String
    }

    struct Request {
        var client: Client
        var body: Secret
        /// The secrets inside the body (client secret, assertion), raw and
        /// form-encoded: a reply that echoes them must not get them printed.
        var secrets: [Secret] = []
    }

    /// The request for a target's server, or the failure that keeps it from being made.
    static func request(_ target: SMTPTarget, options: ProbeOptions) -> Result<Request, ProbeFailure> {
        let s = target.server
        let f = target.path
        guard let provider = s.settings.oauth2Provider else {
            return .failure(ProbeFailure(kind: .other, stage: .token, message: "\(f).oauth2.provider is missing", hint: "set \(f).oauth2.provider", field: "\(f).oauth2"))
        }
        let scope = s.settings.oauth2Scope ?? ""
        func digest(_ secret: Secret?) -> String { secret?.withRevealedBytes { Digest.sha256Hex($0) } ?? "" }
        switch provider {
        case .microsoft, .generic:
            guard let clientID = s.settings.oauth2ClientID, let secret = s.secrets["oauth2.client_secret"] else {
                return .failure(ProbeFailure(kind: .other, stage: .token, message: "\(f).oauth2 needs client_id and client_secret",
                                             hint: "add \(f).oauth2.client_id and client_secret", field: "\(f).oauth2"))
            }
            let url = provider == .microsoft
                ? "\(options.oauthMicrosoftBase)/\(s.settings.oauth2Tenant ?? "")/oauth2/v2.0/token"
                : s.settings.oauth2TokenURL ?? ""
            var fields = [("grant_type", Array("client_credentials".utf8)), ("client_id", Array(clientID.utf8))]
            secret.withRevealedBytes { fields.append(("client_secret", $0)) }
            if !scope.isEmpty { fields.append(("scope", Array(scope.utf8))) }
            return .success(Request(client: Client(provider: provider, url: url, clientID: clientID, scope: scope, subject: "",
                                                   secretDigest: digest(secret)), body: form(fields), secrets: [secret]))
        case .google:
            guard let keySecret = s.secrets["oauth2.service_account_key"] else {
                return .failure(ProbeFailure(kind: .other, stage: .token, message: "\(f).oauth2.service_account_key is missing",
                                             hint: "add \(f).oauth2.service_account_key: ${file:...}", field: "\(f).oauth2"))
            }
            let url = "\(options.oauthGoogleBase)/token"
            do {
                let key = try ServiceAccountAssertion.key(keySecret)
                let assertion = try ServiceAccountAssertion.assertion(key: key, subject: s.username ?? "", scope: scope, audience: url)
                var fields = [("grant_type", Array("urn:ietf:params:oauth:grant-type:jwt-bearer".utf8))]
                assertion.withRevealedBytes { fields.append(("assertion", $0)) }
                return .success(Request(client: Client(provider: .google, url: url, clientID: key.clientEmail, scope: scope,
                                                       subject: s.username ?? "", secretDigest: digest(keySecret)), body: form(fields),
                                        secrets: [assertion]))
            } catch let failure as ServiceAccountAssertion.Failure {
                return .failure(ProbeFailure(kind: .oauth2TokenRefused, stage: .token,
                                             message: "the secret behind \(f).oauth2.service_account_key \(failure.message)",
                                             hint: "point \(f).oauth2.service_account_key at the service account's JSON key (Cloud console → IAM → Service accounts → Keys → Add key → JSON)",
                                             field: "\(f).oauth2.service_account_key"))
            } catch {
                return .failure(ProbeFailure(kind: .other, stage: .token, message: "cannot sign the assertion", hint: "check \(f).oauth2.service_account_key",
                                             field: "\(f).oauth2.service_account_key"))
            }
        }
    }

    /// `application/x-www-form-urlencoded`.
    static func form(_ fields: [(String, [UInt8])]) -> Secret {
        func encode(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            for b in bytes {
                let unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
                if unreserved { out.append(b) } else { out += Array(String(format: "%%%02X", b).utf8) }
            }
            return out
        }
        var body: [UInt8] = []
        for (i, (name, value)) in fields.enumerated() {
            if i > 0 { body.append(UInt8(ascii: "&")) }
            body += encode(Array(name.utf8)) + [UInt8(ascii: "=")] + encode(value)
        }
        return Secret(bytes: body)
    }

    static func configure(_ t: CurlTransfer, _ request: Request, options: ProbeOptions) {
        t.set(CURLOPT_URL, request.client.url)
        request.body.withRevealedBytes { t.setSecret(CURLOPT_COPYPOSTFIELDS, $0) }
        for secret in request.secrets {
            secret.withRevealedBytes { bytes in
                t.addRedaction(bytes)
                form([("", bytes)]).withRevealedBytes { t.addRedaction(Array($0.dropFirst())) }
            }
        }
        t.set(CURLOPT_HTTPHEADER, list: ["Accept: application/json"])
        t.set(CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_CONNECTTIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_FOLLOWLOCATION, 0)
        // Only http(s): a token URL must not become a file:// or gopher:// read.
        t.set(CURLOPT_PROTOCOLS_STR, "http,https")
        t.bodyLimit = 256 << 10
    }

    /// The token, or why there is none. `path` is the server's field path.
    static func outcome(_ t: CurlTransfer, _ code: CURLcode, client: Client, path f: String) -> Result<Secret, ProbeFailure> {
        let host = URL(string: client.url)?.host ?? client.url
        let where_ = client.provider == .microsoft ? "Microsoft Entra ID" : client.provider == .google ? "Google" : "the OAuth2 server"
        let base = client.provider == .microsoft ? "MAILFORM_OAUTH_MICROSOFT_URL" : "MAILFORM_OAUTH_GOOGLE_URL"
        let endpointHint = client.provider == .generic
            ? "check \(f).oauth2.token_url, and that the probe may reach it"
            : "check the network path to \(host) (a proxy or firewall?), or \(base) if it is set"
        if t.bodyOverflow {
            return .failure(ProbeFailure(kind: .oauth2TokenEndpoint, stage: .token,
                                         message: "the token endpoint of \(where_) (\(SafeText.escape(host))) answered with more than 256 KiB",
                                         hint: endpointHint, field: client.provider == .generic ? "\(f).oauth2.token_url" : nil))
        }
        guard code == CURLE_OK else {
            // libcurl's fixed text, never its error buffer (which quotes the server).
            let detail = String(cString: curl_easy_strerror(code))
            return .failure(ProbeFailure(kind: .oauth2TokenEndpoint, stage: .token,
                                         message: "the token endpoint of \(where_) (\(SafeText.escape(host))) could not be reached: \(detail)",
                                         hint: endpointHint, field: client.provider == .generic ? "\(f).oauth2.token_url" : nil))
        }
        // A status the token endpoints do not use is shown as its class: the
        // server received the secret, and could spell ten bits of it per run.
        let status = APIProber.shownStatus(Int(t.long(CURLINFO_RESPONSE_CODE)))
        guard !t.bodyOverflow, let node = try? JSONParser.parse(bytes: t.body), case .object = node.value else {
            return .failure(ProbeFailure(kind: .oauth2TokenEndpoint, stage: .token,
                                         message: "the token endpoint of \(where_) (\(SafeText.escape(host))) answered HTTP \(status) without a JSON body",
                                         hint: endpointHint, field: client.provider == .generic ? "\(f).oauth2.token_url" : nil))
        }
        if status == 200, let token = node["access_token"]?.value.stringValue, !token.isEmpty {
            return .success(Secret(token))
        }
        // Only codes are shown, never the server's own text: it answers the
        // request that carried the secret, and could give it back in any
        // encoding (reversed, hex, spelled out), which no redaction finds.
        // The error word only when it is one the OAuth2 registries know
        // (RFC 6749 §5.2 and its extensions); Microsoft's AADSTS number only
        // from Microsoft Entra ID (its URL is no company file's to choose).
        let rawError = node["error"]?.value.stringValue ?? ""
        let error = Self.registeredErrors.contains(rawError) ? rawError : "an error code mailform does not know"
        var codes = (node["error_codes"]?.value.elements ?? []).compactMap { n -> Int? in
            if case .integer(let i) = n.value, (1...99_999_999).contains(i) { return i } else { return nil }
        }
        if codes.isEmpty, let text = node["error_description"]?.value.stringValue, text.hasPrefix("AADSTS") {
            let digits = text.dropFirst(6).prefix(while: { $0.isASCII && $0.isNumber })
            if (1...8).contains(digits.count), let code = Int(digits) { codes = [code] }
        }
        let said = (client.provider == .microsoft ? codes.first.map { "AADSTS\($0) " } ?? "" : "")
            + error + "; the server's own text is not shown"
        func refused(_ message: String, _ hint: String, _ field: String) -> Result<Secret, ProbeFailure> {
            .failure(ProbeFailure(kind: .oauth2TokenRefused, stage: .token, message: message + " (\(said))", hint: hint, field: field))
        }
        switch client.provider {
        case .microsoft:
            if codes.contains(90002) {
                return refused("Microsoft Entra ID knows no tenant '\(SafeText.escape(f.isEmpty ? "" : tenant(client.url)))'",
                               "set \(f).oauth2.tenant to the Directory (tenant) ID of the Microsoft 365 organization (Entra admin center → Overview)", "\(f).oauth2.tenant")
            }
            if codes.contains(700016) {
                return refused("the tenant has no application '\(SafeText.escape(client.clientID))'",
                               "set \(f).oauth2.client_id to the Application (client) ID of the app registration in this tenant", "\(f).oauth2.client_id")
            }
            if codes.contains(7000222) {
                return refused("the application's client secret has expired",
                               "create a new client secret (Entra admin center → App registrations → Certificates & secrets) and update the secret behind \(f).oauth2.client_secret", "\(f).oauth2.client_secret")
            }
            if codes.contains(7000215) {
                return refused("Microsoft Entra ID rejected the client secret",
                               "the secret behind \(f).oauth2.client_secret must be the secret's Value (not its Secret ID) of this application", "\(f).oauth2.client_secret")
            }
            return refused("Microsoft Entra ID refused the token request with HTTP \(status)",
                           "check \(f).oauth2.tenant, client_id and client_secret", "\(f).oauth2")
        case .google:
            if error == "unauthorized_client" {
                return refused("Google does not let the service account act for \(SafeText.escape(client.subject))",
                               "authorize the service account's client ID for https://mail.google.com/ (Google Admin console → Security → API controls → Domain-wide delegation), and check that \(f).username is a mailbox of the Workspace", "\(f).username")
            }
            if error == "invalid_grant" {
                return refused("Google refused the signed assertion",
                               "the key behind \(f).oauth2.service_account_key is not (or no longer) a key of this service account: create a new JSON key and point the reference at it", "\(f).oauth2.service_account_key")
            }
            return refused("Google refused the token request with HTTP \(status)",
                           "check \(f).oauth2.service_account_key and \(f).username", "\(f).oauth2")
        case .generic:
            if error == "invalid_client" || status == 401 {
                return refused("the token endpoint rejected the client", "check \(f).oauth2.client_id and the secret behind \(f).oauth2.client_secret", "\(f).oauth2.client_secret")
            }
            if error == "invalid_scope" {
                return refused("the token endpoint does not grant the scope", "check \(f).oauth2.scope", "\(f).oauth2.scope")
            }
            return refused("the token endpoint refused the token request with HTTP \(status)",
                           "check \(f).oauth2", "\(f).oauth2")
        }
    }

    /// The error codes of RFC 6749 §5.2 and the IANA "OAuth Extensions Error
    /// Registry": the only error words a token endpoint's answer shows.
    static let registeredErrors: Set<String> = [
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
        "invalid_scope", "access_denied", "server_error", "temporarily_unavailable", "invalid_target",
        "invalid_token", "insufficient_scope", "invalid_dpop_proof", "use_dpop_nonce", "invalid_authorization_details",
        "interaction_required", "login_required", "consent_required", "unsupported_token_type", "expired_token",
        "authorization_pending", "slow_down", "invalid_resource", "invalid_client_metadata",
    ]

    /// The tenant part of a Microsoft token URL.
    static func tenant(_ url: String) -> String {
        let parts = url.components(separatedBy: "/oauth2/v2.0/token").first?.split(separator: "/") ?? []
        return parts.last.map(String.init) ?? ""
    }
}

/// So a token outcome can be a `Result`; its kind (`ProbeFailureKind`) says
/// more than its code.
extension ProbeFailure: MailformError {
    public var code: ErrorCode { .probeFailed }
    public var description: String { message }
}

import Foundation
import JSONSchema
import MailformCore

/// How the probe speaks AUTH for one auth method (`SMTPAuthScheme` is the
/// method's side in the shape). `SMTPDialogue` owns the connection; an
/// authenticator only says what to send and what a reply means.
protocol SMTPAuthenticator {
    /// The first AUTH line, given the server's mechanisms; or the failure
    /// when the server offers none this method can use.
    mutating func start(mechanisms: [String], _ t: CurlTransfer) -> AuthStep
    /// The next line after a reply that is not 235 (a 334 challenge, or a refusal).
    mutating func respond(to reply: (code: Int, text: String), _ t: CurlTransfer) -> AuthStep
}

enum AuthStep {
    /// A line to send; `verb` is what the transcript shows (never the credentials).
    case send(String, verb: String)
    case failed(ProbeFailure)
}

enum SMTPAuthenticators {
    /// The authenticator of a target's auth method; nil when there is nothing to send.
    static func make(for target: SMTPTarget) -> SMTPAuthenticator? {
        let s = target.server
        switch s.auth {
        case .none: return nil
        case .password:
            guard let user = s.username, let password = s.password else { return nil }
            return PasswordAuthenticator(user: user, password: password, path: target.path, host: s.host)
        case .oauth2:
            guard let user = s.username, let token = target.oauth2Token else { return nil }
            return XOAUTH2Authenticator(user: user, token: token, path: target.path, provider: s.settings.oauth2Provider ?? .generic)
        }
    }
}

/// A password sign-in with the mechanism the platform's client would choose:
/// the first of LOGIN, PLAIN, DIGEST-MD5, NTLM the server offers
/// (`PlatformClient.passwordMechanisms`). DIGEST-MD5 and NTLM are not
/// spoken here: a server offering only those fails closed, as does one
/// with no mechanism in common.
struct PasswordAuthenticator: SMTPAuthenticator {
    var user: String
    var password: Secret
    var path: String
    var host: String
    private var loginStep = -1

    init(user: String, password: Secret, path: String, host: String) {
        self.user = user
        self.password = password
        self.path = path
        self.host = host
    }

    mutating func start(mechanisms: [String], _ t: CurlTransfer) -> AuthStep {
        let chosen = PlatformClient.passwordMechanisms.first(where: mechanisms.contains)
        guard let chosen else {
            return .failed(ProbeFailure(kind: .authMechanism, stage: .auth,
                                        message: "the server offers AUTH \(mechanisms.joined(separator: " ")), and the platform's client signs in with a password only by LOGIN, PLAIN, DIGEST-MD5 or NTLM (\"No authentication mechanisms supported by both server and client\")",
                                        hint: "enable LOGIN or PLAIN (over TLS) on \(host), or use the account's submission server in \(path).host",
                                        field: "\(path).host"))
        }
        guard chosen == "LOGIN" || chosen == "PLAIN" else {
            return .failed(ProbeFailure(kind: .authMechanism, stage: .auth,
                                        message: "the platform's client would sign in with \(chosen) (the first of LOGIN, PLAIN, DIGEST-MD5, NTLM the server offers), which mailform cannot check",
                                        hint: "enable LOGIN or PLAIN (over TLS) on \(host) so the sign-in can be checked before it is stored",
                                        field: "\(path).host"))
        }
        if chosen == "PLAIN" {
            let token = password.withRevealedBytes { Data([0] + Array(user.utf8) + [0] + $0).base64EncodedString() }
            // A server that echoes the exact string back must not get it printed.
            t.addRedactionText(token)
            return .send("AUTH PLAIN \(token)\r\n", verb: "AUTH")
        }
        loginStep = 0
        return .send("AUTH LOGIN\r\n", verb: "AUTH")
    }

    mutating func respond(to reply: (code: Int, text: String), _ t: CurlTransfer) -> AuthStep {
        guard reply.code == 334, loginStep >= 0, loginStep < 2 else { return .failed(refusal(reply.text, t)) }
        let token = loginStep == 0 ? Data(user.utf8).base64EncodedString() : password.withRevealedBytes { Data($0).base64EncodedString() }
        if loginStep > 0 { t.addRedactionText(token) }
        loginStep += 1
        return .send(token + "\r\n", verb: "(credentials)")
    }

    /// A refused password; Exchange Online's "basic authentication is
    /// disabled" replies say the password can never work there again.
    func refusal(_ text: String, _ t: CurlTransfer) -> ProbeFailure {
        // Judged on the server's words, quoted by its codes only: text after
        // the credentials may echo them in any encoding.
        let said = CurlTransfer.codesOnly(Substring(text))
        let f = path
        let basicOff = text.contains("5.7.139") || text.contains("5.7.30")
            || text.localizedCaseInsensitiveContains("basic authentication is")
        if basicOff {
            return ProbeFailure(kind: .basicAuthDisabled, stage: .auth,
                                message: "the server refuses password sign-in: \(said)",
                                hint: "switch \(f).auth to oauth2: remove \(f).password and write auth: oauth2 with oauth2: {provider: microsoft, tenant: <directory id>, client_id: <application id>, client_secret: ${env:...}} (README: OAuth2)",
                                field: "\(f).password")
        }
        return ProbeFailure(kind: .credentialsRejected, stage: .auth, message: "credentials rejected: \(said)",
                            hint: "check \(f).username and the secret behind \(f).password", field: "\(f).password")
    }
}

/// SASL XOAUTH2: `base64("user=" MAILBOX ^A "auth=Bearer " TOKEN ^A ^A)` as
/// the initial response. On failure Gmail first sends a 334 with a JSON
/// error, which the client answers with an empty line to get the final 535.
struct XOAUTH2Authenticator: SMTPAuthenticator {
    var user: String
    var token: Secret
    var path: String
    var provider: OAuth2Provider
    private var challenge: String?

    init(user: String, token: Secret, path: String, provider: OAuth2Provider) {
        self.user = user
        self.token = token
        self.path = path
        self.provider = provider
    }

    mutating func start(mechanisms: [String], _ t: CurlTransfer) -> AuthStep {
        guard mechanisms.contains("XOAUTH2") else {
            return .failed(ProbeFailure(kind: .authNotOffered, stage: .auth,
                                        message: "the server does not offer AUTH XOAUTH2 (it offers \(mechanisms.isEmpty ? "no AUTH" : mechanisms.joined(separator: " ")))",
                                        hint: "check \(path).host and port: Exchange Online is smtp.office365.com:587, Gmail smtp.gmail.com:587; or use auth: password for this server",
                                        field: "\(path).auth"))
        }
        let line = token.withRevealedBytes { Data(Array("user=\(user)\u{1}auth=Bearer ".utf8) + $0 + [1, 1]).base64EncodedString() }
        t.addRedactionText(line)
        token.withRevealedBytes { t.addRedaction($0) }
        return .send("AUTH XOAUTH2 \(line)\r\n", verb: "AUTH")
    }

    /// Gmail's error challenge is JSON (`{"status":"400","schemes":"Bearer",
    /// "scope":"https://mail.google.com/"}`): only those three fields are
    /// shown, as printable words — a server that echoes the AUTH string
    /// (token included) in its challenge gets nothing printed.
    static func challengeSummary(_ bytes: [UInt8]) -> String {
        guard let node = try? JSONParser.parse(bytes: bytes), case .object = node.value else { return "" }
        let parts = ["status", "schemes", "scope"].compactMap { key -> String? in
            guard let value = node[key]?.value.stringValue, !value.isEmpty, value.utf8.count <= 100,
                  value.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else { return nil }
            return "\(key) \(value)"
        }
        return parts.joined(separator: ", ")
    }

    mutating func respond(to reply: (code: Int, text: String), _ t: CurlTransfer) -> AuthStep {
        if reply.code == 334 && challenge == nil {
            // Gmail's error challenge: base64 JSON {"status":"400",...}; the empty line asks for the final reply.
            let encoded = reply.text.dropFirst(4).trimmingCharacters(in: .whitespaces)
            challenge = Self.challengeSummary(Data(base64Encoded: encoded).map { [UInt8]($0) } ?? [])
            return .send("\r\n", verb: "(credentials)")
        }
        let said = CurlTransfer.codesOnly(Substring(reply.text))
        let f = path
        if reply.text.contains("5.7.139") {
            return .failed(ProbeFailure(kind: .oauth2TokenRejected, stage: .auth,
                                        message: "the server refuses SMTP AUTH for this mailbox or tenant: \(said)",
                                        hint: "turn SMTP AUTH on for \(user) (Exchange admin center → the mailbox → Email apps → Authenticated SMTP, or Set-CASMailbox -SmtpClientAuthenticationDisabled $false)",
                                        field: "\(f).username"))
        }
        let detail = challenge.map { $0.isEmpty ? "" : " (\($0))" } ?? ""
        let hint = provider == .microsoft
            ? "the token is valid but Exchange Online refused it for \(user): register the app's service principal in Exchange Online (New-ServicePrincipal) and grant it FullAccess or SendAs on the mailbox (Add-MailboxPermission), with the SMTP.SendAsApp permission consented; check \(f).username"
            : provider == .google
            ? "the token is valid but Gmail refused it for \(user): check that \(f).username is the mailbox the service account acts for, and that domain-wide delegation grants https://mail.google.com/"
            : "the token is valid but the server refused it for \(user): check \(f).username and \(f).oauth2.scope"
        return .failed(ProbeFailure(kind: .oauth2TokenRejected, stage: .auth, message: "the SMTP server refused the OAuth2 token: \(said)\(detail)",
                                    hint: hint, field: "\(f).username"))
    }
}

import CCurl
import Foundation
import MailformCore

/// What the probe needs of one SMTP endpoint.
public struct SMTPTarget: Sendable {
    public var company: String
    public var path: String
    public var server: SMTPServer<Secret>
    public var location: SourceLocation?
    /// False when credentials must not be sent (a host the change introduces).
    public var sendCredentials: Bool
    /// The sender of a `--send-test` message.
    public var sender: String = ""
    /// `auth: oauth2`: the token fetched for this server before connecting.
    var oauth2Token: Secret?
    /// The time the token took, shown as the probe's first stage.
    var tokenMilliseconds: Int?
    /// The platform's mail client, whose verdict the probe gives (`ProbeOptions.platformClient`).
    var client = PlatformClient()

    public init(company: String, path: String, server: SMTPServer<Secret>, location: SourceLocation?, sendCredentials: Bool = true) {
        self.company = company
        self.path = path
        self.server = server
        self.location = location
        self.sendCredentials = sendCredentials
    }
}

/// Connects, reads the banner, EHLO, upgrades to TLS (STARTTLS or implicit),
/// authenticates, sends NOOP and QUIT — never MAIL, RCPT or DATA — and
/// classifies what went wrong, following Jakarta Mail's semantics.
enum SMTPProbe {
    static func configure(_ t: CurlTransfer, _ target: SMTPTarget, _ options: ProbeOptions) {
        let s = target.server
        let scheme = s.ssl ? "smtps" : "smtp"
        // The URL's path is the name libcurl greets with (EHLO): a neutral
        // one, never this machine's host name (`probe.ehlo`).
        t.set(CURLOPT_URL, "\(scheme)://\(s.host):\(s.port)/\(options.ehloName)")
        if let recipient = options.sendTestTo {
            // Asked for explicitly: one real message.
            t.set(CURLOPT_MAIL_FROM, "<\(target.sender)>")
            t.set(CURLOPT_MAIL_RCPT, list: ["<\(recipient)>"])
            t.setUpload(Array(TestMessage.text(from: target.sender, to: recipient, company: target.company, endpoint: "\(s.host):\(s.port)").utf8))
        } else {
            // libcurl connects, reads the banner, EHLO, STARTTLS and EHLO again,
            // then hands the connection over: AUTH, NOOP and QUIT are spoken by
            // `SMTPDialogue`, so every session ends with QUIT (libcurl drops
            // the connection without it after a rejected password).
            t.set(CURLOPT_CONNECT_ONLY, 1)
            // FORBID_REUSE would close the connection when the connect phase ends.
            t.set(CURLOPT_FORBID_REUSE, 0)
        }
        if !s.ssl {
            switch s.starttls {
            // required: the dialogue checks that TLS came up and says QUIT if not.
            case .required: t.set(CURLOPT_USE_SSL, Int((options.sendTestTo == nil ? CURLUSESSL_TRY : CURLUSESSL_ALL).rawValue))
            case .optional: t.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
            case .off: t.set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
            }
        }
        if options.sendTestTo != nil, target.sendCredentials, let user = s.username, let password = s.password, s.auth == .password {
            t.set(CURLOPT_USERNAME, user)
            password.withRevealedBytes { t.setSecret(CURLOPT_PASSWORD, $0) }
        } else if options.sendTestTo != nil, target.sendCredentials, let user = s.username, let token = target.oauth2Token {
            t.set(CURLOPT_USERNAME, user)
            token.withRevealedBytes { t.setSecret(CURLOPT_XOAUTH2_BEARER, $0) }
            // Only XOAUTH2: never libcurl's fallback to PLAIN with an empty password.
            t.set(CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2")
        } else if target.sendCredentials {
            // Not given to libcurl, only to the redaction of server replies.
            for (_, secret) in s.orderedSecrets { secret.withRevealedBytes { t.addRedaction($0) } }
            target.oauth2Token?.withRevealedBytes { t.addRedaction($0) }
        }
        // Jakarta Mail (PlatformClient): ssl.trust hosts skip verification of
        // the chain, never the identity check, which checkserveridentity sets.
        t.set(CURLOPT_SSL_VERIFYPEER, s.trustsWithoutVerification ? 0 : 1)
        t.set(CURLOPT_SSL_VERIFYHOST, s.sslCheckIdentity ? 2 : 0)
        if let ca = options.caFile { t.set(CURLOPT_CAINFO, ca) }
        let versions = s.sslProtocols.compactMap(Self.curlVersion)
        if let low = versions.min(), let high = versions.max() {
            t.set(CURLOPT_SSLVERSION, mf_ssl_version(low, high))
        }
        t.set(CURLOPT_CERTINFO, 1)
        t.set(CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_CONNECTTIMEOUT_MS, options.timeoutMilliseconds)
        if let proxy = options.proxy {
            t.set(CURLOPT_PROXY, proxy)
            // Through an HTTP proxy, SMTP needs a CONNECT tunnel.
            if proxy.hasPrefix("http://") { t.set(CURLOPT_HTTPPROXYTUNNEL, 1) }
        }
    }

    /// CURL_SSLVERSION_TLSv1_0 ... TLSv1_3.
    static func curlVersion(_ name: String) -> Int? {
        switch name {
        case "TLSv1": 4
        case "TLSv1.1": 5
        case "TLSv1.2": 6
        case "TLSv1.3": 7
        default: nil
        }
    }

    static func classify(_ t: CurlTransfer, _ code: CURLcode, _ target: SMTPTarget, certWarningDays: Int = 21) -> ProbeResult {
        let s = target.server
        var result = ProbeResult(company: target.company, endpointPath: target.path, endpoint: "\(s.host):\(s.port)", location: target.location)
        var reached = Set<ProbeStage>()
        func reach(_ stage: ProbeStage, _ time: Double) {
            if reached.insert(stage).inserted { result.stages.append((stage, Int(time * 1000))) }
        }
        var lastVerb = ""
        var lastReply = ""
        var authOK = false
        var sentAuth = false
        var inEHLO = false
        var ehloGreeting = false
        for (time, event) in t.events {
            switch event {
            case .text(let text) where text.hasPrefix("Connected to") || text.hasPrefix("SSL connection using"):
                result.transcript.append(String(format: "%6.1fms * %@", time * 1000, text))
            case .clientVerb(let verb):
                result.transcript.append(String(format: "%6.1fms > %@", time * 1000, verb))
            case .serverLine(let line):
                result.transcript.append(String(format: "%6.1fms < %@", time * 1000, line))
            default: break
            }
            switch event {
            case .text(let text):
                if text.hasPrefix("Connected to") { reach(.connect, time) }
                if text.hasPrefix("SSL connection using") {
                    result.tlsVersion = text.split(separator: " ").dropFirst(3).first.map(String.init)
                    reach(.tls, time)
                }
            case .clientVerb(let verb):
                if verb == "(credentials)" { continue }
                lastVerb = verb
                if verb == "EHLO" || verb == "HELO" { inEHLO = true; ehloGreeting = true; result.capabilities = [] }
                if verb == "AUTH" { sentAuth = true }
            case .serverLine(let line):
                lastReply = line
                let code = line.prefix(3)
                if lastVerb.isEmpty && code == "220" { reach(.banner, time) }
                if inEHLO {
                    // The first line of the EHLO reply is the server's name; the rest are capabilities.
                    if line.count > 4, code == "250" {
                        if ehloGreeting { ehloGreeting = false } else { result.capabilities.append(String(line.dropFirst(4))) }
                    }
                    if line.hasPrefix("250 ") { inEHLO = false; reach(.ehlo, time) }
                }
                if sentAuth && code == "235" { authOK = true; reach(.auth, time) }
                if lastVerb == "QUIT" && code == "221" { reach(.quit, time) }
                if lastVerb == "DATA" && code == "250" { reach(.send, time); result.notes.append("test message accepted: \(line)") }
            }
        }
        if let expiry = certificateExpiry(t) { result.certificateExpiry = expiry }
        let message = t.redact(t.errorMessage)
        // TLS is a stage only when it is configured (or offered, for optional).
        let offersTLS = result.capabilities.contains { $0.uppercased().hasPrefix("STARTTLS") }
        let skipsTLS = !s.ssl && (s.starttls == .off || (s.starttls == .optional && reached.contains(.ehlo) && !offersTLS))
        let next = nextStage(after: result.stages.last?.stage, implicitTLS: s.ssl, reached: skipsTLS ? reached.union([.tls]) : reached)
        let field = target.path

        // Something answered, but not with an SMTP banner (an HTTP server, say).
        if !reached.contains(.banner), let first = t.events.lazy.compactMap({ e -> String? in
            if case .serverLine(let l) = e.kind { return l } else { return nil }
        }).first, Int(first.prefix(3)) == nil {
            result.failure = ProbeFailure(kind: .notSMTP, stage: .banner,
                                          message: "the server at \(s.host):\(s.port) does not speak SMTP (it sent '\(first.prefix(60))')",
                                          hint: "check \(field).host and \(field).port: 587 for STARTTLS, 465 for implicit TLS")
            return result
        }
        if code != CURLE_OK {
            result.failure = failure(code: code, message: message, next: next, lastReply: t.redact(lastReply), target: target, reached: reached)
            // A handshake the platform's client refuses anyway fails for its reason.
            if result.failure?.stage == .tls, let refusal = target.client.refusals(s.settings, path: field).first(where: { $0.id == "platform-untrusted-host" }) {
                result.failure = platformFailure(refusal, field)
            }
            return result
        }
        // Past TLS: what the platform's client refuses whatever the server
        // does, and a version outside its exact set (PlatformClient).
        if let version = result.tlsVersion {
            if let refusal = target.client.refusals(s.settings, path: field).first ?? target.client.protocolRefusal(s.settings, negotiated: version, path: field) {
                result.failure = platformFailure(refusal, field)
                return result
            }
        }
        if let failure = t.dialogueFailure {
            result.failure = failure
            return result
        }
        result.warnings += t.dialogueWarnings
        if t.plainTextAuth && authOK {
            result.warnings.append("the \(s.auth == .oauth2 ? "OAuth2 token" : "password") crossed the network in plain text: the server offered no TLS before AUTH")
        }
        let wantsAuth = target.sendCredentials && SMTPAuthenticators.make(for: target) != nil
        let offered = result.capabilities.contains { $0.uppercased().hasPrefix("AUTH") }
        if wantsAuth && !authOK && offered {
            result.failure = ProbeFailure(kind: .credentialsRejected, stage: .auth, message: "authentication did not complete (\(t.redact(lastReply)))",
                                          hint: "check \(field).username and \(field).password")
            return result
        }
        if !target.sendCredentials && s.auth != .none {
            result.credentialsWithheld = true
            let what = s.auth == .oauth2 ? "these OAuth2 settings and secret" : "this password"
            result.notes.append("AUTH not attempted\(s.auth == .oauth2 ? " (no token fetched)" : ""): the store does not hold \(what) for \(s.host):\(s.port) with these settings, and credentials go only to endpoints that already have them (pass --send-credentials to trust it)")
        }
        if s.starttls == .optional && !s.ssl && !reached.contains(.tls) {
            result.notes.append("STARTTLS not offered: mail to this server goes in plain text")
        }
        if let days = result.certificateDaysLeft, days < 0 {
            // Verification was off (ssl_trust): the probe passed, but the platform's mail library may not.
            result.warnings.append("the certificate expired \(-days) day\(days == -1 ? "" : "s") ago; \(target.path).ssl_trust hides it — renew the certificate")
        } else if let days = result.certificateDaysLeft, let expiry = result.certificateExpiry, days < certWarningDays {
            let date = ISO8601DateFormatter.string(from: expiry, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            result.warnings.append("the certificate of \(s.host):\(s.port) expires on \(date) (\(days) day\(days == 1 ? "" : "s") left, within probe.cert_warning_days \(certWarningDays)); renew it before then")
        }
        return result
    }

    /// A refusal of the platform's client as the probe's failure.
    static func platformFailure(_ refusal: PlatformClient.Refusal, _ path: String) -> ProbeFailure {
        ProbeFailure(kind: .platformClientRefuses, stage: .tls, message: refusal.message, hint: refusal.hint, field: "\(path).\(refusal.field)")
    }

    static func nextStage(after last: ProbeStage?, implicitTLS: Bool, reached: Set<ProbeStage>) -> ProbeStage {
        let order: [ProbeStage] = implicitTLS ? [.connect, .tls, .banner, .ehlo, .auth, .quit] : [.connect, .banner, .ehlo, .tls, .auth, .quit]
        return order.first { !reached.contains($0) } ?? .quit
    }

    static func failure(code: CURLcode, message: String, next: ProbeStage, lastReply: String, target: SMTPTarget,
                        reached: Set<ProbeStage>) -> ProbeFailure {
        let s = target.server
        let f = target.path
        let lower = message.lowercased()
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return ProbeFailure(kind: .dns, stage: .connect, message: "host name '\(s.host)' does not resolve", hint: "check \(f).host", field: "\(f).host")
        case CURLE_COULDNT_CONNECT:
            return ProbeFailure(kind: .refused, stage: .connect, message: "connection to \(s.host):\(s.port) refused or unreachable",
                                hint: "check \(f).host and \(f).port, and that the probe may reach the server (probe.proxy for private networks)", field: "\(f).host")
        case CURLE_OPERATION_TIMEDOUT:
            if next == .banner && !s.ssl && s.port == 465 {
                return ProbeFailure(kind: .wrongPortKind, stage: .banner,
                                    message: "no banner within the timeout: port 465 speaks implicit TLS, not plain SMTP",
                                    hint: "set \(f).ssl: true for port 465, or use port 587 with starttls: required", field: "\(f).ssl")
            }
            return ProbeFailure(kind: .timeout, stage: next, message: "timeout at \(next.rawValue): the server did not answer within the probe timeout",
                                hint: next == .banner && !s.ssl
                                    ? "if \(s.host):\(s.port) is an SMTPS port, set \(f).ssl: true; else check \(f).port"
                                    : "check \(f).host and \(f).port, or raise probe.timeout", field: "\(f).port")
        case _ where lower.contains("too large"):
            return ProbeFailure(kind: .protocolViolation, stage: next, message: "the server's reply at \(next.rawValue) is too large (\(message))",
                                hint: "check that \(s.host):\(s.port) is a mail server; a probe keeps at most 300 KB of replies")
        case CURLE_WEIRD_SERVER_REPLY where !reached.contains(.banner):
            return ProbeFailure(kind: .notSMTP, stage: .banner, message: "the server at \(s.host):\(s.port) does not speak SMTP\(lastReply.isEmpty ? "" : " (it sent '\(lastReply.prefix(60))')")",
                                hint: "check \(f).port: 587 for STARTTLS, 465 for implicit TLS")
        case CURLE_WEIRD_SERVER_REPLY:
            return ProbeFailure(kind: .protocolViolation, stage: next,
                                message: "the server broke the SMTP protocol at \(next.rawValue)\(lastReply.isEmpty ? "" : " (last reply: '\(lastReply.prefix(60))')")",
                                hint: "check that \(s.host):\(s.port) is the mail server meant in \(f).host; ask its operator otherwise")
        case CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR:
            return ProbeFailure(kind: .connectionClosed, stage: next,
                                message: reached.contains(.banner)
                                    ? "the server closed the connection during \(next.rawValue)"
                                    : "the server closed the connection before its banner",
                                hint: next == .auth
                                    ? "check \(f).username and password; some servers drop the connection on bad credentials or too many attempts"
                                    : "check \(f).host and \(f).port, and whether the server limits connections")
        case CURLE_USE_SSL_FAILED:
            return ProbeFailure(kind: .starttlsNotOffered, stage: .tls, message: "the server does not offer STARTTLS",
                                hint: "set \(f).starttls: optional only if plain text is acceptable (on-premise), else fix the server or \(f).port", field: "\(f).starttls")
        case CURLE_LOGIN_DENIED:
            return ProbeFailure(kind: .credentialsRejected, stage: .auth,
                                message: "credentials rejected\(lastReply.isEmpty ? "" : ": \(lastReply)")",
                                hint: "check \(f).username and the secret behind \(f).password", field: "\(f).password")
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            if lower.contains("expired") {
                return ProbeFailure(kind: .certificateExpired, stage: .tls, message: "the server's certificate has expired",
                                    hint: "renew the certificate of \(s.host); ssl_trust would only hide it", field: "\(f).host")
            }
            if lower.contains("subject name") || lower.contains("does not match") || lower.contains("hostname") || lower.contains("host name") {
                return ProbeFailure(kind: .certificateHostMismatch, stage: .tls, message: "the certificate does not name '\(s.host)' (\(message))",
                                    hint: "use the host name on the certificate in \(f).host, or set \(f).ssl_check_identity: false", field: "\(f).host")
            }
            return ProbeFailure(kind: .certificateUntrusted, stage: .tls, message: "the server's certificate is not trusted (\(message))",
                                hint: "add the private CA with probe.ca_file (or --ca-file), or list \(s.host) in \(f).ssl_trust", field: "\(f).ssl_trust")
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CIPHER:
            if lower.contains("wrong version number") || lower.contains("packet length too long") {
                return ProbeFailure(kind: .wrongPortKind, stage: .tls,
                                    message: "the server speaks plain SMTP first, not implicit TLS",
                                    hint: "set \(f).ssl: false and \(f).starttls: required (port 587), or use the server's SMTPS port 465", field: "\(f).ssl")
            }
            if lower.contains("protocol version") || lower.contains("unsupported protocol") || lower.contains("no protocols available") || lower.contains("version too low") {
                return ProbeFailure(kind: .tlsVersionMismatch, stage: .tls,
                                    message: "no TLS version in common: the server does not accept [\(s.sslProtocols.joined(separator: ", "))]",
                                    hint: "add the server's TLS version to \(f).ssl_protocols, or upgrade the server", field: "\(f).ssl_protocols")
            }
            return ProbeFailure(kind: .tlsHandshake, stage: .tls, message: "TLS handshake failed: \(message)",
                                hint: "check \(f).ssl, \(f).starttls and \(f).ssl_protocols", field: "\(f).ssl_protocols")
        default:
            let detail = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
            return ProbeFailure(kind: .other, stage: next, message: "\(detail)\(lastReply.isEmpty ? "" : " (last reply: \(lastReply.prefix(80)))")",
                                hint: "check \(f).host, \(f).port and the TLS settings")
        }
    }

    /// The leaf certificate's "Expire date" from CURLINFO_CERTINFO.
    static func certificateExpiry(_ t: CurlTransfer) -> Date? {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard mf_getinfo_certinfo(t.handle, &info) == CURLE_OK, let info, info.pointee.num_of_certs > 0,
              let lists = info.pointee.certinfo else { return nil }
        var node = lists[0]
        while let current = node {
            let line = String(cString: current.pointee.data)
            if line.hasPrefix("Expire date:") { return parseCertDate(String(line.dropFirst("Expire date:".count))) }
            node = current.pointee.next
        }
        return nil
    }

    /// "Dec  9 18:00:00 2026 GMT" (OpenSSL's format).
    static func parseCertDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        let cleaned = text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        for format in ["MMM d HH:mm:ss yyyy zzz", "yyyy-MM-dd HH:mm:ss zzz"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: cleaned) { return date }
        }
        return nil
    }
}

/// The message `--send-test` sends.
enum TestMessage {
    static func text(from: String, to: String, company: String, endpoint: String) -> String {
        let date = ISO8601DateFormatter().string(from: Date())
        return [
            "From: <\(from)>", "To: <\(to)>", "Subject: mailform test message for \(company)", "Date: \(rfc2822Now())",
            "Message-ID: <\(UUID().uuidString.lowercased())@mailform>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "",
            "This is a test message sent by 'mailform probe --send-test' at \(date)",
            "through \(endpoint) for company \(company). No action is needed.", "",
        ].joined(separator: "\r\n")
    }

    static func rfc2822Now() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: Date())
    }
}

import CCurl
import Foundation
import MailformCore

/// The part of an SMTP probe that mailform speaks itself, on the connection
/// libcurl opened (`CONNECT_ONLY`: connect, banner, EHLO, STARTTLS, EHLO).
///
/// Why not let libcurl authenticate: after a rejected password (67) or a
/// required STARTTLS that is not offered (64), libcurl drops the connection
/// without QUIT, and real administrators read Postfix's "lost connection after
/// AUTH" as an attack. Here every session ends with QUIT while the connection
/// allows it — after a success, a rejection, or a missing capability — and it
/// stays one connection per probe. Credentials never enter the transcript:
/// client lines are noted by their verb only.
final class SMTPDialogue {
    private enum Phase {
        case start
        case waitAuth
        case waitNoop
        case waitQuit
        case finished
    }

    private let target: SMTPTarget
    private let deadline: Date
    private var phase = Phase.start
    private var outbox: [UInt8] = []
    private var inbox: [UInt8] = []
    private var replyLines: [String] = []
    private var replyBytes = 0
    private var authenticator: SMTPAuthenticator?

    init(target: SMTPTarget, timeoutMilliseconds: Int, started: Date) {
        self.target = target
        deadline = started.addingTimeInterval(Double(timeoutMilliseconds) / 1000)
    }

    var wantsWrite: Bool { !outbox.isEmpty }

    /// Moves the dialogue on; returns true when the session is over.
    func step(_ t: CurlTransfer) -> Bool {
        if case .finished = phase { return true }
        if case .start = phase { begin(t) }
        if !flush(t) { return true }
        while let reply = readReply(t) {
            handle(reply, t)
            if case .finished = phase { return true }
            if !flush(t) { return true }
        }
        if case .finished = phase { return true }
        if Date() >= deadline {
            fail(t, .timeout, stage: currentStage, "timeout at \(currentStage.rawValue): the server did not answer within the probe timeout",
                 hint: "check \(target.path).host and \(target.path).port, or raise probe.timeout")
            phase = .finished
            return true
        }
        return false
    }

    private var currentStage: ProbeStage {
        switch phase {
        case .waitAuth: .auth
        case .waitQuit: .quit
        default: .ehlo
        }
    }

    // MARK: The plan of the session

    private func begin(_ t: CurlTransfer) {
        let s = target.server
        let tlsUp = t.events.contains { if case .text(let text) = $0.kind { text.hasPrefix("SSL connection using") } else { false } }
        let capabilities = Self.capabilities(t)
        let offersAuth = capabilities.contains { $0.uppercased().hasPrefix("AUTH") }
        authenticator = target.sendCredentials ? SMTPAuthenticators.make(for: target) : nil
        let wantsAuth = authenticator != nil
        let f = target.path
        // What to remove for an anonymous relay: the method's own settings.
        let credentials = s.auth == .oauth2 ? "\(f).username, \(f).auth and \(f).oauth2" : "\(f).username and \(f).password"

        if !s.ssl && s.starttls == .required && !tlsUp {
            // Neither TLS nor AUTH: say so once, instead of two hints that send the user in a circle.
            if wantsAuth && !offersAuth {
                fail(t, .starttlsNotOffered, stage: .tls, "the server offers neither STARTTLS nor AUTH: it is a plain relay, so the credentials cannot be used",
                     hint: "for an anonymous on-premise relay, remove \(credentials) and set \(f).starttls: off; else use the account's submission port (587 with STARTTLS, or 465 with ssl: true)",
                     field: "\(f).port")
            } else {
                fail(t, .starttlsNotOffered, stage: .tls, "the server does not offer STARTTLS",
                     hint: "set \(f).starttls: optional only if plain text is acceptable (on-premise), else fix the server or \(f).port",
                     field: "\(f).starttls")
            }
            return quit(t)
        }
        guard wantsAuth else { return send(t, "NOOP\r\n", verb: "NOOP", then: .waitNoop) }
        guard offersAuth else {
            // mail.smtp.auth=true does not make AUTH mandatory: the platform's
            // client connects without signing in (PlatformClient). A relay may
            // still refuse its mail at RCPT, which no probe can see.
            t.dialogueWarnings.append("the server offers no AUTH\(tlsUp || s.ssl ? "" : " on this unencrypted connection"): \(target.client.name) connects without signing in (mail.smtp.auth=true does not require it), and the server may refuse to relay its mail; remove \(credentials) if it is an anonymous relay, or check that \(s.host):\(s.port) is the account's submission port")
            return send(t, "NOOP\r\n", verb: "NOOP", then: .waitNoop)
        }
        if !tlsUp && !s.ssl {
            t.plainTextAuth = true
        }
        let mechanisms = capabilities.filter { $0.uppercased().hasPrefix("AUTH") }.flatMap { $0.uppercased().split(separator: " ").dropFirst().map(String.init) }
        advance(authenticator!.start(mechanisms: mechanisms, t), t)
    }

    private func advance(_ step: AuthStep, _ t: CurlTransfer) {
        switch step {
        case .send(let line, let verb): send(t, line, verb: verb, then: .waitAuth)
        case .failed(let failure):
            fail(t, failure.kind, stage: failure.stage ?? .auth, failure.message, hint: failure.hint, field: failure.field)
            quit(t)
        }
    }

    private func handle(_ reply: (code: Int, text: String), _ t: CurlTransfer) {
        switch phase {
        case .waitAuth:
            if reply.code == 235 {
                send(t, "NOOP\r\n", verb: "NOOP", then: .waitNoop)
            } else {
                advance(authenticator!.respond(to: reply, t), t)
            }
        case .waitNoop:
            quit(t)
        case .waitQuit:
            phase = .finished
        case .start, .finished:
            break
        }
    }

    private func quit(_ t: CurlTransfer) {
        send(t, "QUIT\r\n", verb: "QUIT", then: .waitQuit)
    }

    private func fail(_ t: CurlTransfer, _ kind: ProbeFailureKind, stage: ProbeStage, _ message: String, hint: String, field: String? = nil) {
        guard t.dialogueFailure == nil else { return }
        var failure = ProbeFailure(kind: kind, stage: stage, message: message, hint: hint)
        failure.field = field
        t.dialogueFailure = failure
    }

    // MARK: Bytes

    private func send(_ t: CurlTransfer, _ line: String, verb: String, then next: Phase) {
        t.noteClient(verb)
        outbox += Array(line.utf8)
        phase = next
    }

    /// Sends what is pending; false when the connection is gone.
    private func flush(_ t: CurlTransfer) -> Bool {
        while !outbox.isEmpty {
            var sent = 0
            let code = outbox.withUnsafeBytes { curl_easy_send(t.handle, $0.baseAddress, $0.count, &sent) }
            if code == CURLE_AGAIN { return true }
            guard code == CURLE_OK else { return closed(t) }
            outbox.removeFirst(sent)
        }
        return true
    }

    /// The most one reply may hold (libcurl's own cap on EHLO is 300 KB).
    static let maxReplyBytes = 64 << 10
    /// The most one step reads before it lets the driver look at its
    /// deadlines (a server streaming a reply must not hold the loop).
    static let maxBytesPerStep = 256 << 10

    /// One whole reply (multi-line replies joined), or nil when more bytes are needed.
    private func readReply(_ t: CurlTransfer) -> (code: Int, text: String)? {
        var readThisStep = 0
        while true {
            if let newline = inbox.firstIndex(of: 0x0A) {
                var line = String(decoding: inbox[..<newline], as: UTF8.self)
                inbox.removeSubrange(...newline)
                if line.hasSuffix("\r") { line.removeLast() }
                t.noteServer(line)
                replyLines.append(line)
                replyBytes += line.utf8.count + 2
                if replyBytes > Self.maxReplyBytes {
                    fail(t, .protocolViolation, stage: currentStage, "the server's reply at \(currentStage.rawValue) is too large (over \(Self.maxReplyBytes >> 10) KiB)",
                         hint: "check that \(target.server.host):\(target.server.port) is a mail server")
                    phase = .finished
                    return nil
                }
                let bytes = Array(line.utf8)
                // "250-..." continues; "250 ..." (or a bare "250") ends the reply.
                if bytes.count >= 4 && bytes[3] == UInt8(ascii: "-") { continue }
                let code = Int(line.prefix(3)) ?? 0
                let text = replyLines.joined(separator: " ")
                replyLines = []
                replyBytes = 0
                return (code, text)
            }
            if inbox.count > 64 << 10 {
                fail(t, .protocolViolation, stage: currentStage, "the server's reply is too large", hint: "check that \(target.server.host):\(target.server.port) is a mail server")
                phase = .finished
                return nil
            }
            // A server that streams: give the driver its turn (deadlines, other endpoints).
            if readThisStep >= Self.maxBytesPerStep || Date() >= deadline { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var received = 0
            let code = buffer.withUnsafeMutableBytes { curl_easy_recv(t.handle, $0.baseAddress, $0.count, &received) }
            if code == CURLE_AGAIN { return nil }
            if code != CURLE_OK || received == 0 {
                _ = closed(t)
                return nil
            }
            inbox += buffer[..<received]
            readThisStep += received
        }
    }

    /// The server hung up: after QUIT that is the normal end; before, a failure.
    private func closed(_ t: CurlTransfer) -> Bool {
        if case .waitQuit = phase {
            phase = .finished
            return false
        }
        fail(t, .connectionClosed, stage: currentStage, "the server closed the connection during \(currentStage.rawValue)",
             hint: currentStage == .auth
                ? "check \(target.path).username and password; some servers drop the connection on bad credentials or too many attempts"
                : "check \(target.path).host and \(target.path).port, and whether the server limits connections")
        phase = .finished
        return false
    }

    /// The capabilities of the last EHLO reply libcurl read.
    static func capabilities(_ t: CurlTransfer) -> [String] {
        var capabilities: [String] = []
        var inEHLO = false
        var greeting = false
        for (_, kind) in t.events {
            switch kind {
            case .clientVerb(let verb) where verb == "EHLO" || verb == "HELO":
                inEHLO = true; greeting = true; capabilities = []
            case .clientVerb:
                inEHLO = false
            case .serverLine(let line) where inEHLO:
                if line.count > 4, line.hasPrefix("250") {
                    if greeting { greeting = false } else { capabilities.append(String(line.dropFirst(4))) }
                }
                if line.hasPrefix("250 ") { inEHLO = false }
            default:
                break
            }
        }
        return capabilities
    }
}

import CCurl
import Foundation
import MailformCore

/// probe: checks every endpoint concurrently on one curl multi handle and
/// returns one result per endpoint, in the order given.
public struct Prober: Sendable {
    public var options: ProbeOptions

    public init(options: ProbeOptions) { self.options = options }

    public func probe(smtp: [SMTPTarget], apis: [APITarget] = [],
                      progress: (@Sendable (Int, Int) -> Void)? = nil) -> [ProbeResult] {
        var smtp = smtp
        for i in smtp.indices { smtp[i].client = options.platformClient }
        var smtpResults = [ProbeResult?](repeating: nil, count: smtp.count)
        // OAuth2 servers get their token first; without one there is nothing to sign in with.
        for (i, failure) in fetchTokens(&smtp) {
            var result = ProbeResult(company: smtp[i].company, endpointPath: smtp[i].path,
                                     endpoint: "\(smtp[i].server.host):\(smtp[i].server.port)", location: smtp[i].location)
            result.failure = failure
            smtpResults[i] = result
        }
        var jobs: [MultiDriver.Job] = []
        for (i, target) in smtp.enumerated() where smtpResults[i] == nil {
            guard let transfer = CurlTransfer() else {
                smtpResults[i] = Self.internalFailure(target.company, target.path, "\(target.server.host):\(target.server.port)", target.location)
                continue
            }
            // One deadline per endpoint: the token's time counts against it.
            // The probe itself never sends (see `sendTests` for --send-test).
            var budget = options
            budget.sendTestTo = nil
            if let ms = target.tokenMilliseconds { budget.timeoutMilliseconds = max(1, options.timeoutMilliseconds - ms) }
            SMTPProbe.configure(transfer, target, budget)
            jobs.append(MultiDriver.Job(transfer: transfer, group: nil, dialogue: Self.dialogue(target, budget)) { t, code in
                if t.cutByDeadline {
                    smtpResults[i] = Self.deadlineFailure(target.company, target.path, "\(target.server.host):\(target.server.port)", target.location)
                    return
                }
                var result = SMTPProbe.classify(t, code, target, certWarningDays: options.certWarningDays)
                if let ms = target.tokenMilliseconds { result.stages.insert((.token, ms), at: 0) }
                smtpResults[i] = result
            })
        }

        let driver = MultiDriver(concurrency: options.concurrency, deadline: options.deadline)
        let total = jobs.count
        driver.onProgress = { done, _ in progress?(done, total) }
        driver.run(jobs)

        // A failed handshake with a narrowed ssl_protocols: find out what the server
        // does speak (without credentials), to say which version to allow.
        var diagnoses: [MultiDriver.Job] = []
        for (i, result) in smtpResults.enumerated() {
            guard let failure = result?.failure, failure.kind == .tlsHandshake || failure.kind == .tlsVersionMismatch,
                  smtp[i].server.sslProtocols.count < 4 else { continue }
            var open = smtp[i]
            open.server.sslProtocols = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
            open.sendCredentials = false
            guard let transfer = CurlTransfer() else { continue }
            SMTPProbe.configure(transfer, open, options)
            diagnoses.append(MultiDriver.Job(transfer: transfer, group: nil, dialogue: Self.dialogue(open, options)) { t, code in
                if t.cutByDeadline { return }
                let probe = SMTPProbe.classify(t, code, open, certWarningDays: options.certWarningDays)
                // The second connection shows in --trace too.
                smtpResults[i]?.transcript += ["--- second connection: which TLS version the server speaks (no credentials) ---"] + probe.transcript
                guard let version = probe.tlsVersion, !smtp[i].server.sslProtocols.contains(version) else { return }
                let allowed = smtp[i].server.sslProtocols
                // Newer than everything allowed: allow it; older: the server is the one to upgrade.
                let rank = ["TLSv1": 0, "TLSv1.1": 1, "TLSv1.2": 2, "TLSv1.3": 3]
                let newer = (rank[version] ?? 0) > (allowed.compactMap { rank[$0] }.max() ?? 0)
                smtpResults[i]?.failure = ProbeFailure(
                    kind: .tlsVersionMismatch, stage: .tls,
                    message: "TLS version mismatch: the server speaks \(version) only, but \(smtp[i].path).ssl_protocols allows only [\(allowed.joined(separator: ", "))]",
                    hint: newer
                        ? "add \(version) to \(smtp[i].path).ssl_protocols (the server is newer than the settings)"
                        : "let the server speak \(allowed.joined(separator: " or ")), or add \(version) to \(smtp[i].path).ssl_protocols\(version == "TLSv1" || version == "TLSv1.1" ? " (not recommended: \(version) is obsolete)" : "")",
                    field: "\(smtp[i].path).ssl_protocols")
            })
        }
        MultiDriver(concurrency: options.concurrency, deadline: options.deadline).run(diagnoses)

        // Fail closed: an endpoint without a result failed, it did not pass.
        var results = smtpResults.enumerated().map { i, result in
            result ?? Self.internalFailure(smtp[i].company, smtp[i].path, "\(smtp[i].server.host):\(smtp[i].server.port)", smtp[i].location)
        }
        if options.sendTestTo != nil { sendTests(smtp, &results) }
        // The HTTP-API providers' sections, each by its own probe.
        let prober = APIProber(options: options)
        var apiResults = prober.probe(apis)
        if let recipient = options.sendTestTo { prober.sendTests(apis, &apiResults, to: recipient) }
        return results + apiResults
    }

    /// `--send-test`: one message through each endpoint whose probe passed —
    /// the probe proved that it signs in with its method (a server that
    /// offers no AUTH, or not XOAUTH2, gets no message sent unauthenticated,
    /// which libcurl would otherwise do).
    func sendTests(_ smtp: [SMTPTarget], _ results: inout [ProbeResult]) {
        var jobs: [MultiDriver.Job] = []
        var outcomes: [Int: ProbeResult] = [:]
        // A server that signs in must have proved it (235): one that offers no
        // AUTH passes the probe (the platform connects unauthenticated), but
        // no test message is sent without the sign-in the settings ask for.
        for (i, target) in smtp.enumerated() where results[i].ok
            && (target.server.auth == .none || (target.sendCredentials && results[i].stages.contains { $0.stage == .auth })) {
            guard let transfer = CurlTransfer() else { continue }
            SMTPProbe.configure(transfer, target, options)
            jobs.append(MultiDriver.Job(transfer: transfer, group: nil) { t, code in outcomes[i] = SMTPProbe.classify(t, code, target, certWarningDays: options.certWarningDays) })
        }
        MultiDriver(concurrency: options.concurrency, deadline: options.deadline).run(jobs)
        for (i, target) in smtp.enumerated() where results[i].ok && target.server.auth != .none && target.sendCredentials && outcomes[i] == nil {
            results[i].failure = ProbeFailure(kind: .authNotOffered, stage: .send,
                                              message: "the test message was not sent: the server offers no AUTH, and no message is sent without the sign-in \(target.path) asks for",
                                              hint: "check that \(target.server.host):\(target.server.port) is the account's submission port, or remove the credentials for an anonymous relay",
                                              field: "\(target.path).port")
        }
        for (i, sent) in outcomes.sorted(by: { $0.key < $1.key }) {
            if let stage = sent.stages.first(where: { $0.stage == .send }) {
                results[i].stages.append(stage)
                results[i].notes += sent.notes.filter { $0.hasPrefix("test message accepted") }
            } else {
                results[i].failure = sent.failure.map { ProbeFailure(kind: $0.kind, stage: .send, message: "the test message was not sent: \($0.message)", hint: $0.hint, field: $0.field) }
                    ?? ProbeFailure(kind: .other, stage: .send, message: "the server did not accept the test message", hint: "check sender.email and the server's relay rules")
            }
            results[i].transcript += ["--- second connection: the test message ---"] + sent.transcript
        }
    }

    /// The session mailform speaks itself after libcurl connected; none for
    /// `--send-test`, where libcurl sends the one message.
    static func dialogue(_ target: SMTPTarget, _ options: ProbeOptions) -> ((CurlTransfer) -> SMTPDialogue)? {
        guard options.sendTestTo == nil else { return nil }
        let timeout = options.timeoutMilliseconds
        return { t in SMTPDialogue(target: target, timeoutMilliseconds: timeout, started: t.started) }
    }

    /// An endpoint the run's deadline stopped or never reached: a failure
    /// (the run fails closed), never a pass.
    static func deadlineFailure(_ company: String, _ path: String, _ endpoint: String, _ location: SourceLocation?) -> ProbeResult {
        var result = ProbeResult(company: company, endpointPath: path, endpoint: endpoint, location: location)
        result.failure = ProbeFailure(kind: .deadline, stage: .connect,
                                      message: "not probed: deadline reached (the whole probe may take at most probe.deadline)",
                                      hint: "raise probe.deadline in the trusted workspace file, or probe fewer companies at once (--company)")
        return result
    }

    /// The result of an endpoint the probe could not run (no curl handle, no
    /// multi handle, no answer): a failure, never a silent pass.
    static func internalFailure(_ company: String, _ path: String, _ endpoint: String, _ location: SourceLocation?) -> ProbeResult {
        var result = ProbeResult(company: company, endpointPath: path, endpoint: endpoint, location: location)
        result.failure = ProbeFailure(kind: .other, stage: .connect, message: "the probe could not run for this endpoint (libcurl could not start it)",
                                      hint: "run the probe again; if it persists, check memory and file-descriptor limits")
        return result
    }
}

import CCurl
import Foundation
import MailformCore

extension Prober {
    /// Before any SMTP connection: one token request per OAuth2 client (see
    /// `TokenFetch.Client`), all at once on the multi handle. Targets whose
    /// credentials are withheld (the credential gate) fetch nothing: their
    /// client secret or key is not sent to a token endpoint either.
    ///
    /// - Returns: for each target index that could not get a token, why.
    func fetchTokens(_ smtp: inout [SMTPTarget]) -> [Int: ProbeFailure] {
        var failures: [Int: ProbeFailure] = [:]
        var requests: [Int: TokenFetch.Request] = [:]
        for (i, target) in smtp.enumerated() where target.server.auth == .oauth2 && target.sendCredentials {
            switch TokenFetch.request(target, options: options) {
            case .success(let request): requests[i] = request
            case .failure(let failure): failures[i] = failure
            }
        }
        guard !requests.isEmpty else { return failures }
        // One finished transfer per client; each server's result is read
        // from it with that server's own field paths in the hint.
        var answers: [TokenFetch.Client: (transfer: CurlTransfer, code: CURLcode, milliseconds: Int)] = [:]
        var jobs: [MultiDriver.Job] = []
        var seen = Set<TokenFetch.Client>()
        for i in requests.keys.sorted() {
            let request = requests[i]!
            guard seen.insert(request.client).inserted, let transfer = CurlTransfer() else { continue }
            TokenFetch.configure(transfer, request, options: options)
            jobs.append(MultiDriver.Job(transfer: transfer, group: nil) { t, code in
                answers[request.client] = (t, code, t.elapsedMilliseconds)
            })
        }
        MultiDriver(concurrency: options.concurrency, deadline: options.deadline).run(jobs)
        for (i, request) in requests {
            if let answer = answers[request.client], answer.transfer.cutByDeadline {
                failures[i] = ProbeFailure(kind: .deadline, stage: .token, message: "not probed: deadline reached (the whole probe may take at most probe.deadline)",
                                           hint: "raise probe.deadline in the trusted workspace file, or probe fewer companies at once (--company)")
                continue
            }
            // Fail closed: no answer is not a token.
            guard let answer = answers[request.client] else {
                failures[i] = ProbeFailure(kind: .oauth2TokenEndpoint, stage: .token, message: "the token request could not run (libcurl could not start it)",
                                           hint: "run the probe again; if it persists, check memory and file-descriptor limits")
                continue
            }
            switch TokenFetch.outcome(answer.transfer, answer.code, client: request.client, path: smtp[i].path) {
            case .success(let token):
                smtp[i].oauth2Token = token
                smtp[i].tokenMilliseconds = answer.milliseconds
            case .failure(let failure):
                failures[i] = failure
            }
        }
        return failures
    }
}

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
        var outcomes: [TokenFetch.Client: (Result<Secret, ProbeFailure>, Int)] = [:]
        var jobs: [MultiDriver.Job] = []
        var seen = Set<TokenFetch.Client>()
        for i in requests.keys.sorted() {
            let request = requests[i]!
            guard seen.insert(request.client).inserted else { continue }
            let path = smtp[i].path
            guard let transfer = CurlTransfer() else { continue }
            TokenFetch.configure(transfer, request, options: options)
            jobs.append(MultiDriver.Job(transfer: transfer, group: nil) { t, code in
                outcomes[request.client] = (TokenFetch.outcome(t, code, client: request.client, path: path), t.elapsedMilliseconds)
            })
        }
        MultiDriver(concurrency: options.concurrency).run(jobs)
        for (i, request) in requests {
            switch outcomes[request.client] {
            case (.success(let token), let ms)?:
                smtp[i].oauth2Token = token
                smtp[i].tokenMilliseconds = ms
            case (.failure(var failure), _)?:
                // The request was made for another server of the same client: name this one's fields.
                if let field = failure.field, let other = field.range(of: ".oauth2") ?? field.range(of: ".username") {
                    failure.field = smtp[i].path + field[other.lowerBound...]
                }
                failure.hint = failure.hint.replacingOccurrences(of: firstPath(requests, request.client, smtp) + ".", with: smtp[i].path + ".")
                failures[i] = failure
            case nil:
                // Fail closed: no answer is not a token.
                failures[i] = ProbeFailure(kind: .oauth2TokenEndpoint, stage: .token, message: "the token request could not run (libcurl could not start it)",
                                           hint: "run the probe again; if it persists, check memory and file-descriptor limits")
            }
        }
        return failures
    }

    /// The path of the first target whose request fetched a client's token.
    private func firstPath(_ requests: [Int: TokenFetch.Request], _ client: TokenFetch.Client, _ smtp: [SMTPTarget]) -> String {
        requests.keys.sorted().first { requests[$0]!.client == client }.map { smtp[$0].path } ?? ""
    }
}

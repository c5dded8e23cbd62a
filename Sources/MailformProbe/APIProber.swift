import CCurl
import Foundation
import MailformCore

/// Runs every HTTP-API provider's probe (`APIProbe`) on curl multi handles:
/// each section's requests one after another (a request may depend on the
/// answers before it), all sections at once, one key's requests never at
/// the same time (providers rate-limit per account), and sections that
/// would ask the same thing with the same key asking it once.
///
/// The key goes where the provider's request says (basic auth, a bearer
/// token, a JSON member) and nowhere else; redirects are not followed;
/// an answer is read up to 1 MiB; the key is taken out of every answer
/// before the provider's verdict reads it.
struct APIProber {
    var options: ProbeOptions
    /// At most this many requests per section (Mailgun needs two).
    static let maxSteps = 4

    func probe(_ targets: [APITarget]) -> [ProbeResult] {
        // One exchange per distinct (provider, settings, key): companies that share them share it.
        struct Exchange: Hashable { var provider: String; var values: [String?]; var key: String; var everywhere: Bool }
        func keyID(_ target: APITarget) -> String { target.settings.secrets.first?.secret.withRevealedBytes { Digest.sha256Hex($0) } ?? "" }
        var answers: [Exchange: [APIAnswer]] = [:]
        var cut: Set<Exchange> = []
        var first: [Exchange: APITarget] = [:]
        for target in targets where target.sendCredentials && target.settings.secrets.first.map({ Self.isSendable($0.secret) }) ?? true {
            let exchange = Exchange(provider: target.settings.provider.rawValue, values: target.settings.values, key: keyID(target),
                                    everywhere: target.sendsEverywhere)
            if first[exchange] == nil { first[exchange] = target; answers[exchange] = [] }
        }
        var pending = Array(first.keys).sorted { "\($0.provider)\($0.values)" < "\($1.provider)\($1.values)" }
        for _ in 0..<Self.maxSteps where !pending.isEmpty {
            var jobs: [MultiDriver.Job] = []
            var next: [Exchange] = []
            for exchange in pending {
                let target = first[exchange]!
                guard let request = target.scheme.probe.request(target.view, bases: bases(target), answers: answers[exchange] ?? []),
                      let transfer = CurlTransfer() else { continue }
                configure(transfer, request, key: target.settings.secrets.first?.secret)
                next.append(exchange)
                jobs.append(MultiDriver.Job(transfer: transfer, group: exchange.key) { t, code in
                    if t.cutByDeadline { cut.insert(exchange); return }
                    answers[exchange, default: []].append(Self.answer(t, code))
                })
            }
            MultiDriver(concurrency: options.concurrency, deadline: options.deadline).run(jobs)
            pending = next.filter { !cut.contains($0) }
        }
        return targets.map { target in
            let scheme = target.scheme
            let endpoint = scheme.probe.endpoint(target.view)
            var result = ProbeResult(company: target.company, endpointPath: scheme.word, endpoint: endpoint, location: target.location)
            if target.sendCredentials, let key = target.settings.secrets.first?.secret, !Self.isSendable(key) {
                result.failure = ProbeFailure(kind: ProbeFailureKind(rawValue: scheme.word + "-key-rejected"), stage: .api,
                                              message: "the API key holds a space, a control character or a non-ASCII byte, which no \(scheme.displayName) key has; it was not sent",
                                              hint: "check the secret behind \(scheme.word).api_key: the key alone, without quotes, spaces or line breaks",
                                              field: scheme.word + ".api_key")
                if let location = target.locations["api_key"] { result.location = location }
                return result
            }
            guard target.sendCredentials else {
                result.notes.append("API key not sent: the store does not hold this key for this \(scheme.displayName) section and company (pass --send-credentials to trust it)")
                result.credentialsWithheld = true
                result.notChecked = true
                return result
            }
            let exchange = Exchange(provider: target.settings.provider.rawValue, values: target.settings.values, key: keyID(target),
                                    everywhere: target.sendsEverywhere)
            guard let got = answers[exchange], !got.isEmpty, !cut.contains(exchange) else {
                return options.deadlinePassed ? Prober.deadlineFailure(target.company, scheme.word, endpoint, target.location)
                    : Prober.internalFailure(target.company, scheme.word, endpoint, target.location)
            }
            // Nothing the server wrote reaches the output with any form of the key in it.
            let verdict = Self.scrub(scheme.probe.verdict(target.view, answers: got),
                                     key: target.settings.secrets.first?.secret.withRevealedBytes { $0 } ?? [], domain: target.settings.domain,
                                     provider: scheme.displayName, published: scheme.probe.publishedValues)
            result.domainState = verdict.domainState
            result.providerDNSRecords = verdict.records
            result.notes += verdict.notes
            result.warnings += verdict.warnings
            if let failure = verdict.failure {
                let kind: ProbeFailureKind
                switch failure.transport {
                case .timeout?: kind = .timeout
                case .dns?: kind = .dns
                case .refused?: kind = .refused
                case .other?: kind = .other
                case nil: kind = ProbeFailureKind(rawValue: failure.kind)
                }
                result.failure = ProbeFailure(kind: kind, stage: .api, message: failure.message, hint: failure.hint,
                                              field: failure.field.map { scheme.word + "." + $0 })
                if let field = failure.field, let location = target.locations[field] { result.location = location }
            } else {
                result.stages.append((.api, got.reduce(0) { $0 + $1.elapsedMilliseconds }))
            }
            return result
        }
    }

    /// The HTTP statuses the providers use, as they are; any other is its
    /// class (963 is 900, then out of range: 0). A server that got the key
    /// could otherwise spell ten bits of it per run in a status it makes up.
    static let knownStatuses: Set<Int> = [200, 201, 202, 204, 301, 302, 303, 304, 307, 308, 400, 401, 402, 403, 404, 405, 406, 409, 410, 413,
                                          415, 422, 429, 500, 501, 502, 503, 504]
    static func shownStatus(_ status: Int) -> Int {
        if knownStatuses.contains(status) { return status }
        return (100...599).contains(status) ? status / 100 * 100 : 0
    }

    /// Whether a key may be sent at all: printable ASCII without spaces. A key
    /// with a line break would end the Authorization header and start
    /// headers of its own (a bearer key goes into the header as is).
    static func isSendable(_ key: Secret) -> Bool {
        key.withRevealedBytes { bytes in bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F } }
    }

    /// The bases a section's key may go to: its own region's only, unless
    /// credentials go everywhere (`--send-credentials`, apply): the store's
    /// trust in a key is for the region it holds, so a 404 there never sends
    /// it to the other region on its own.
    func bases(_ target: APITarget) -> [String: String] {
        let all = options.bases(target.scheme.probe)
        guard !target.sendsEverywhere else { return all }
        let own = target.scheme.probe.base(target.view)
        return all.filter { $0.key == own }
    }

    /// The verdict with every string that holds a form of the key (any 10
    /// characters of it in a row, in either case or reversed; its base64,
    /// and that of `api:KEY`, as basic auth sends it) replaced: a server that
    /// echoes the key in any shape gets none of it printed.
    ///
    /// A record the provider lists is kept only when it is the sending
    /// domain's or under it, and holds no 6 letters or digits of the key in
    /// a row once everything else is taken out (nor 6 of its bytes in hex):
    /// a server can spell the key in pieces there, so the bar is lower.
    static func scrub(_ verdict: APIVerdict, key: [UInt8], domain: String, provider: String = "the provider",
                      published: Set<String> = []) -> APIVerdict {
        var verdict = verdict
        // Records carry nothing of the answer but what mailform words itself
        // (ProviderRecordView); the checks below remain for the verdict's texts.
        verdict.records = verdict.records.map { records in
            ProviderRecordView.byPurpose(records.compactMap { ProviderRecordView.view($0, domain: domain, provider: provider, published: published) },
                                         domain: domain, provider: provider)
        }
        guard key.count >= 10 else { return verdict }
        let text = String(decoding: key, as: UTF8.self).lowercased()
        let reversed = String(text.reversed())
        let encoded = [Data(key).base64EncodedString(), Data(Array("api:".utf8) + key).base64EncodedString()].map { String($0.dropLast(2)).lowercased() }
        func holdsKey(_ s: String) -> Bool {
            let lower = s.lowercased()
            if encoded.contains(where: { lower.contains(String($0.prefix(12))) }) { return true }
            let chars = Array(text), reverse = Array(reversed)
            for source in [chars, reverse] where source.count >= 10 {
                for start in 0...(source.count - 10) where lower.contains(String(source[start..<(start + 10)])) { return true }
            }
            return false
        }
        let withheld = "(the provider's text is not shown: it held part of the API key)"
        func clean(_ s: String) -> String { holdsKey(s) ? withheld : s }
        var out = verdict
        if var failure = out.failure {
            failure.message = clean(failure.message)
            failure.hint = clean(failure.hint)
            out.failure = failure
        }
        out.notes = out.notes.map(clean)
        out.warnings = out.warnings.map(clean)
        out.domainState = out.domainState.map(clean)
        out.records = out.records?.filter { !holdsKey($0.name) && !holdsKey($0.value) && !holdsKey($0.recordType) }
        return out
    }

    /// Whether `text`, reduced to its letters and digits in lower case, holds
    /// 6 of the key's letters and digits in a row (either way round), or 12
    /// hex digits of its bytes in a row.
    static func holdsPieces(of key: [UInt8], _ text: String) -> Bool {
        func reduce(_ s: String) -> [Character] { s.lowercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) } }
        let haystack = String(reduce(text))
        let alnum = reduce(String(decoding: key, as: UTF8.self))
        let hex = Array(key.map { String(format: "%02x", $0) }.joined())
        for (source, width) in [(alnum, 6), (Array(alnum.reversed()), 6), (hex, 12)] where source.count >= width {
            for start in 0...(source.count - width) where haystack.contains(String(source[start..<(start + width)])) { return true }
        }
        return false
    }

    /// `--send-test`: one message in the provider's test mode per section
    /// that passed (a provider without one sends nothing).
    func sendTests(_ targets: [APITarget], _ given: inout [ProbeResult], to recipient: String) {
        var results = given
        defer { given = results }
        var jobs: [MultiDriver.Job] = []
        for (i, target) in targets.enumerated() where results[i].ok && target.sendCredentials {
            guard let request = target.scheme.probe.testSend(target.view, bases: options.bases(target.scheme.probe), from: target.sender, to: recipient,
                                                             company: target.company) else {
                results[i].notes.append("no test message: \(target.scheme.displayName) has no test mode that accepts a message without delivering it, so --send-test sends nothing through it")
                continue
            }
            guard let transfer = CurlTransfer() else { continue }
            configure(transfer, request, key: target.settings.secrets.first?.secret)
            let name = target.scheme.displayName
            jobs.append(MultiDriver.Job(transfer: transfer, group: target.settings.secrets.first?.secret.withRevealedBytes { Digest.sha256Hex($0) }) { t, code in
                let status = t.long(CURLINFO_RESPONSE_CODE)
                if code == CURLE_OK && (200..<300).contains(status) {
                    results[i].stages.append((.send, t.elapsedMilliseconds))
                    results[i].notes.append("test message accepted in \(name)'s test mode (not delivered)")
                } else {
                    results[i].failure = ProbeFailure(kind: ProbeFailureKind(rawValue: target.scheme.word + "-response"), stage: .send,
                                                      message: "\(name) refused the test message (HTTP \(Self.shownStatus(Int(status))))",
                                                      hint: "check \(target.scheme.word).domain and that sender.email is on it")
                }
            })
        }
        MultiDriver(concurrency: options.concurrency, deadline: options.deadline).run(jobs)
    }

    /// The request on a transfer, the key where it says and nowhere else.
    func configure(_ t: CurlTransfer, _ request: APIRequest, key: Secret?) {
        t.set(CURLOPT_URL, request.url)
        t.set(CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_CONNECTTIMEOUT_MS, options.timeoutMilliseconds)
        t.set(CURLOPT_FOLLOWLOCATION, 0)
        t.bodyLimit = 1 << 20
        // The workspace's proxy and CA, as the SMTP probe has them; never the
        // runner's https_proxy (it would see the key).
        if let proxy = options.proxy {
            t.set(CURLOPT_PROXY, proxy)
            if proxy.hasPrefix("http://") { t.set(CURLOPT_HTTPPROXYTUNNEL, 1) }
        } else {
            t.set(CURLOPT_PROXY, "")
            t.set(CURLOPT_NOPROXY, "*")
        }
        if let ca = options.caFile { t.set(CURLOPT_CAINFO, ca) }
        var headers: [String] = []
        switch request.auth {
        case .basic(let user):
            t.set(CURLOPT_HTTPAUTH, 1) // CURLAUTH_BASIC
            t.set(CURLOPT_USERNAME, user)
            key?.withRevealedBytes { t.setSecret(CURLOPT_PASSWORD, $0) }
        case .bearer:
            t.set(CURLOPT_HTTPAUTH, 64) // CURLAUTH_BEARER
            key?.withRevealedBytes { t.setSecret(CURLOPT_XOAUTH2_BEARER, $0) }
        case .jsonBody:
            break
        }
        if case .jsonBody(let member) = request.auth {
            var members = request.json.sorted { $0.key < $1.key }.map { (Self.jsonString($0.key), Self.jsonString($0.value)) }
            var body: [UInt8] = []
            key?.withRevealedBytes { bytes in
                members.insert((Self.jsonString(member), Self.jsonString(String(decoding: bytes, as: UTF8.self))), at: 0)
                t.addRedaction(bytes)
            }
            body = Array(("{" + members.map { "\($0.0):\($0.1)" }.joined(separator: ",") + "}").utf8)
            headers.append("Content-Type: application/json")
            t.setSecret(CURLOPT_COPYPOSTFIELDS, body)
            for i in body.indices { body[i] = 0 }
            members = []
        } else if !request.json.isEmpty {
            headers.append("Content-Type: application/json")
            let members = request.json.sorted { $0.key < $1.key }.map { "\(Self.jsonString($0.key)):\(Self.jsonString($0.value))" }
            t.set(CURLOPT_COPYPOSTFIELDS, "{" + members.joined(separator: ",") + "}")
        } else if !request.form.isEmpty {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
            t.set(CURLOPT_COPYPOSTFIELDS, request.form.map { encode($0.first ?? "") + "=" + encode($0.count > 1 ? $0[1] : "") }.joined(separator: "&"))
        } else if request.method == "POST" {
            t.set(CURLOPT_COPYPOSTFIELDS, "")
        }
        if !headers.isEmpty { t.set(CURLOPT_HTTPHEADER, list: headers) }
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func answer(_ t: CurlTransfer, _ code: CURLcode) -> APIAnswer {
        let transport: APIAnswer.Transport? = code == CURLE_OK ? nil
            : code == CURLE_OPERATION_TIMEDOUT ? .timeout : code == CURLE_COULDNT_RESOLVE_HOST ? .dns
            : code == CURLE_COULDNT_CONNECT ? .refused : .other
        // libcurl's fixed text for the code, never its error buffer: that
        // quotes the server (a certificate's name, which a server that got
        // the key could make the key's rot13).
        let message = String(cString: curl_easy_strerror(code))
        // The key never reaches the verdict, even when the server echoes it.
        let body = t.body.isEmpty ? [] : Array(t.redact(String(decoding: t.body, as: UTF8.self)).utf8)
        return APIAnswer(transport: transport, message: message, status: Self.shownStatus(t.long(CURLINFO_RESPONSE_CODE)), body: body,
                         overflow: t.bodyOverflow, elapsedMilliseconds: t.elapsedMilliseconds)
    }
}

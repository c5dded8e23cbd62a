import Foundation
import Testing
@testable import MailformCore
@testable import MailformProbe

struct ProbeUnitTests {
    /// A probe that probed nothing says so (a new user read "Probe: 0 endpoints: 0 ok, 0 failed").
    @Test func aProbeOfNothingSaysSo() {
        #expect(ProbeReport.summary([], skipped: 0) == "Probe: nothing to probe (none of the companies checked sends through an SMTP server or a provider's API; a plan or apply checks only the companies whose sending settings it changes).")
        // A provider's API whose key was withheld checked nothing: never counted, or shown, as ok.
        var withheld = ProbeResult(company: "a", endpointPath: "sendgrid", endpoint: "sg.example.test (global)", location: nil)
        withheld.credentialsWithheld = true
        withheld.notChecked = true
        var passed = ProbeResult(company: "b", endpointPath: "smtp", endpoint: "h:587", location: nil)
        passed.warnings = ["w"]
        #expect(ProbeReport.summary([withheld, passed], skipped: 0)
                == "Probe: 2 endpoints: 1 ok (1 with warnings), 0 failed, 1 not checked (key withheld: pass --send-credentials to check).")
        #expect(ProbeReport.line(withheld, style: .plain).contains("sg.example.test (global)  not checked"))
        #expect(ProbeReport.summary([], skipped: 2) == "Probe: nothing probed; 2 companies skipped.")
    }

    /// After the credentials, a reply shows its reply code and an enhanced
    /// status code of RFC 3463's shape only: a server that had the password
    /// answered `535 5.<the password as one number>.0`, and it was printed.
    @Test func aReplyAfterTheCredentialsKeepsOnlyCodesOfTheirShape() {
        let note = "(server text after the credentials not shown)"
        #expect(CurlTransfer.codesOnly("535 5.7.139 Authentication unsuccessful") == "535 5.7.139 " + note)
        #expect(CurlTransfer.codesOnly("250-2.0.0 ok") == "250- " + note)
        #expect(CurlTransfer.codesOnly("250 2.0.0 ok") == "250 2.0.0 " + note)
        for forged in ["535 5.97173116627294504091918712.0 no", "535 5.7.1390 x", "535 9.7.1 x", "535 5..1 x", "535 5.7 x",
                       "535 5.7.1.2 x", "535 ５.７.１ x", "535 5.7.٣ x"] {
            #expect(CurlTransfer.codesOnly(Substring(forged)) == "535 " + note, "\(forged)")
        }
    }

    @Test func changedEndpointsFollowTheChangedFields() {
        func change(_ paths: [String]) -> CompanyChange {
            CompanyChange(id: "a", name: nil, action: .change,
                          fields: paths.map { FieldChange(path: $0, current: nil, desired: FieldValue(display: "", key: "", sensitive: false)) },
                          baseRevision: 1)
        }
        #expect(ProbeTargets.changedEndpoints(change(["sender.name"])).isEmpty)
        #expect(ProbeTargets.changedEndpoints(change(["smtp.port"])) == ["smtp"])
        #expect(ProbeTargets.changedEndpoints(change(["smtp_pools.p.servers[1].password", "smtp_pools.p.use_for"])) == ["smtp_pools.p.servers[1]"])
        #expect(ProbeTargets.changedEndpoints(change(["mailgun.api_key"])) == ["mailgun"])
        #expect(ProbeTargets.changedEndpoints(change(["provider"])) == Set(["smtp"] + ProviderSchemes.apis.map(\.word)))
    }

    @Test func mailgunOverridesAllowPlainHTTPOnlyToLoopback() throws {
        var options = ProbeOptions()
        try options.applyEndpointOverrides(["MAILFORM_MAILGUN_US_URL": "http://127.0.0.1:8080/"])
        #expect(options.mailgunUSBase == "http://127.0.0.1:8080")
        #expect(throws: ProbeOptions.InvalidBase.self) {
            try options.applyEndpointOverrides(["MAILFORM_MAILGUN_EU_URL": "http://evil.example.net"])
        }
        try options.applyEndpointOverrides(["MAILFORM_MAILGUN_EU_URL": "https://mailgun-proxy.example.net"])
        // Parsed, not prefix-matched: these name another host, or carry a user (issue 12 review).
        for sneaky in ["http://127.0.0.1:@127.0.0.2:47003/ms", "http://localhost:x@127.0.0.2/ms", "http://127.0.0.1.evil.example/",
                       "https://user:pw@login.example.net", "ftp://127.0.0.1/", "http://[::1]@evil.example/"] {
            #expect(throws: ProbeOptions.InvalidBase.self, "\(sneaky)") { try options.applyEndpointOverrides(["MAILFORM_OAUTH_MICROSOFT_URL": sneaky]) }
        }
        try options.applyEndpointOverrides(["MAILFORM_OAUTH_GOOGLE_URL": "http://127.0.0.1:8081/google", "MAILFORM_OAUTH_MICROSOFT_URL": "http://localhost/ms"])
        #expect(options.oauthGoogleBase == "http://127.0.0.1:8081/google" && options.oauthMicrosoftBase == "http://localhost/ms")
        #expect(options.mailgunEUBase == "https://mailgun-proxy.example.net")
    }

    @Test func certificateDatesParseOpenSSLFormat() throws {
        let date = try #require(SMTPProbe.parseCertDate("Dec  9 18:00:00 2026 GMT"))
        #expect(ProbeReport.dateFormatter.string(from: date) == "2026-12-09")
    }

    @Test func tlsVersionsMapToCurlConstants() {
        #expect(SMTPProbe.curlVersion("TLSv1.2") == 6)
        #expect(SMTPProbe.curlVersion("TLSv1.3") == 7)
        #expect(SMTPProbe.curlVersion("SSLv3") == nil)
    }

    @Test func refusedPortIsClassifiedWithoutNetwork() throws {
        // A port nobody listens on, on the loopback address.
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(socket, $0, length) } }
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(socket, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(socket)
        let server = SMTPServer<Secret>(host: "127.0.0.1", port: port, username: nil, password: nil, starttls: .required, ssl: false,
                                        sslTrust: [], sslCheckIdentity: true, sslProtocols: ["TLSv1.2", "TLSv1.3"])
        let results = Prober(options: ProbeOptions(timeoutMilliseconds: 2000)).probe(
            smtp: [SMTPTarget(company: "a", path: "smtp", server: server, location: nil)], apis: [])
        #expect(results.first?.failure?.kind == .refused)
        #expect(results.first?.failure?.hint.contains("smtp.port") == true)
    }
}

/// What a provider's server writes never carries the key out, in any shape,
/// and an answer that is not the provider's proves nothing.
struct ProviderAnswerTests {
    @Test func everyFormOfTheKeyIsTakenOut() {
        let key = "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"
        let forms = [key, key.uppercased(), String(key.reversed()), "prefix " + key.prefix(12) + " suffix", String(key.dropFirst(58)),
                     Data(key.utf8).base64EncodedString(), Data(("api:" + key).utf8).base64EncodedString()]
        for form in forms {
            var verdict = APIVerdict(failure: .init(kind: "x", message: "bad key \(form)", hint: "h"))
            verdict.notes = ["n " + form]
            verdict.warnings = ["w " + form]
            verdict.domainState = form
            verdict.records = [ProviderDNSRecord(recordType: "TXT", name: "a.example", value: form, valid: true)]
            let clean = APIProber.scrub(verdict, key: Array(key.utf8), domain: "a.example")
            let shown = [clean.failure!.message, clean.failure!.hint, clean.domainState ?? ""] + clean.notes + clean.warnings
                + (clean.records ?? []).flatMap { [$0.name, $0.value] }
            #expect(shown.allSatisfy { !$0.contains(form) }, "\(form): \(shown)")
            // The record stays (its verdict counts), in mailform's words only.
            #expect(clean.records == [ProviderDNSRecord(recordType: "TXT", name: "<name>.a.example",
                                                        value: "(the other records the provider lists: return path, tracking, MX)", valid: true,
                                                        purpose: .other)], "\(clean.records ?? [])")
        }
        let plain = APIVerdict(failure: .init(kind: "x", message: "SendGrid rejected the API key (HTTP 401)", hint: "check the key"))
        #expect(APIProber.scrub(plain, key: Array(key.utf8), domain: "a.example").failure?.message == plain.failure?.message)
    }

    /// Nothing of a record but its type and verdict comes from the answer:
    /// a key spelled in rot13 or base32 in a value or a name (the third
    /// hostile review's attack, which no filter of encodings caught) is
    /// never shown; known names and the provider's published values are.
    @Test func aRecordIsShownInMailformsWordsOnly() {
        let key = "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"
        let rot13 = String(key.unicodeScalars.map { c -> Character in
            switch c {
            case "a"..."m", "A"..."M": Character(UnicodeScalar(c.value + 13)!)
            case "n"..."z", "N"..."Z": Character(UnicodeScalar(c.value - 13)!)
            default: Character(c)
            }
        })
        let base32Label = "knds43kgoqzfc5zypbghenc2oa4uwyzxkzrdgtttfzueunlekqyxsv3"
        var verdict = APIVerdict()
        verdict.records = [
            ProviderDNSRecord(recordType: "TXT", name: "rot13.sg.example.test", value: rot13, valid: false),
            ProviderDNSRecord(recordType: "CNAME", name: "s1._domainkey.\(base32Label).sg.example.test", value: "x", valid: true),
            ProviderDNSRecord(recordType: "TXT", name: "\(base32Label)._domainkey.sg.example.test", value: "k=rsa; p=" + rot13, valid: false),
            ProviderDNSRecord(recordType: "MX", name: "SG.example.test.", value: "mx.sendgrid.net", valid: true),
            ProviderDNSRecord(recordType: "TXT", name: "sg.example.test", value: "v=spf1 include:sendgrid.net ~all", valid: true),
            ProviderDNSRecord(recordType: "TXT", name: "sg.example.test", value: "v=spf1 include:" + rot13 + " ~all", valid: false),
            ProviderDNSRecord(recordType: "SRV", name: "sg.example.test", value: "0 0 1 x", valid: false),
        ]
        let clean = APIProber.scrub(verdict, key: Array(key.utf8), domain: "sg.example.test", provider: "SendGrid",
                                    published: SendGridProbe().publishedValues).records ?? []
        let text = clean.map { "\($0.recordType) \($0.name) \($0.value)" }
        // One record per purpose, in mailform's words: which records the
        // server lists (a choice that could spell the key) is not shown.
        #expect(text == [
            "TXT sg.example.test v=spf1 … (the record SendGrid lists)",
            "TXT <selector>._domainkey.sg.example.test (the DKIM records SendGrid lists)",
            "CNAME <name>.sg.example.test (the other records SendGrid lists: return path, tracking, MX)",
        ], "\(text)")
        #expect(clean.map(\.valid) == [false, false, false])
        #expect(!text.joined().contains(base32Label) && !text.joined().lowercased().contains("zsg2dj8k"))
    }

    /// A made-up HTTP status carries no bits of the key: only the statuses
    /// the providers use are shown as they are, any other as its class.
    @Test func aMadeUpStatusIsShownAsItsClass() {
        #expect(APIProber.shownStatus(401) == 401 && APIProber.shownStatus(429) == 429 && APIProber.shownStatus(503) == 503)
        #expect(APIProber.shownStatus(418) == 400 && APIProber.shownStatus(599) == 500 && APIProber.shownStatus(263) == 200)
        #expect(APIProber.shownStatus(963) == 0 && APIProber.shownStatus(99) == 0 && APIProber.shownStatus(0) == 0)
    }

    /// A server that spells the key in 9-character pieces across record
    /// names (the second hostile review's attack), in hex, or in records of
    /// another domain, gets none of them shown; the domain's own records stay.
    @Test func aKeySpelledInPiecesAcrossRecordsIsNotShown() {
        let key = "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"
        let chars = Array(key.replacingOccurrences(of: ".", with: "_"))
        var records = stride(from: 0, to: chars.count, by: 9).map { start in
            ProviderDNSRecord(recordType: "TXT", name: String(chars[start..<min(start + 9, chars.count)]) + ".acme.test", value: "x", valid: false)
        }
        let hex = key.utf8.map { String(format: "%02x", $0) }.joined()
        records.append(ProviderDNSRecord(recordType: "TXT", name: "h.acme.test", value: String(hex.prefix(40)), valid: false))
        records.append(ProviderDNSRecord(recordType: "CNAME", name: "em1.elsewhere.test", value: "u1.wl.sendgrid.net", valid: false))
        let own = ProviderDNSRecord(recordType: "CNAME", name: "s1._domainkey.acme.test", value: "s1.domainkey.u42.wl.sendgrid.net", valid: false)
        records.append(own)
        var verdict = APIVerdict()
        verdict.records = records
        let shown = APIProber.scrub(verdict, key: Array(key.utf8), domain: "acme.test").records ?? []
        let text = shown.map { "\($0.name) \($0.value)" }.joined(separator: "\n")
        #expect(stride(from: 0, to: chars.count - 9, by: 9).allSatisfy { !text.contains(String(chars[$0..<($0 + 9)])) }, "\(text)")
        #expect(!text.contains(String(hex.prefix(12))) && !text.contains("elsewhere"))
        #expect(shown.contains(ProviderDNSRecord(recordType: "CNAME", name: "<selector>._domainkey.acme.test", value: "(the DKIM records the provider lists)",
                                                 valid: false, purpose: .dkim)), "\(shown)")
        #expect(shown.count <= 3)
    }

    @Test func aMailgunAnswerMustDescribeTheDomain() {
        let settings = APISettings<Void>(provider: .mailgun, values: ["mg.acme.example", "us"], secrets: [()])
        func answer(_ body: String) -> APIAnswer {
            APIAnswer(transport: nil, message: "", status: 200, body: Array(body.utf8), overflow: false, elapsedMilliseconds: 1)
        }
        let portal = MailgunProbe().verdict(settings, answers: [answer("<html>Welcome to the hotel wifi</html>")])
        #expect(portal.failure?.kind == "mailgun-response")
        let other = MailgunProbe().verdict(settings, answers: [answer(#"{"domain": {"name": "mg.other.example", "state": "active"}}"#)])
        #expect(other.failure?.kind == "mailgun-response")
        let mine = MailgunProbe().verdict(settings, answers: [answer(#"{"domain": {"name": "mg.acme.example", "state": "<b>evil</b>"}}"#)])
        #expect(mine.failure == nil && mine.domainState == "unknown")
    }
}

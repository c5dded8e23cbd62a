import Foundation
@testable import MailformDeliverability
import SPF
import Testing

/// MTA-STS records and policies (RFC 8461 sections 3.1, 3.2, 4.1) and
/// TLS-RPT records (RFC 8460 section 3), and the checker's findings from
/// them with a policy fetcher that answers from memory.
struct MTASTSTests {
    @Test func recordsAsSendersReadThem() throws {
        #expect(try MTASTSRecord.parse("v=STSv1; id=20261207T01;").get().id == "20261207T01")
        #expect(try MTASTSRecord.parse("v=STSv1 ;id=abc").get().id == "abc")
        #expect(try MTASTSRecord.parse("v=STSv1; id=abc; ext.1=value").get().id == "abc")
        #expect(try MTASTSRecord.parse("v=STSv1; id=1; id=2;").get().id == "1", "the first id is kept")
        for bad in ["v=STSv1", "v=STSv1 id=1", "v=STSv1; id=", "v=STSv1; id=a-b", "v=STSv1; id=\(String(repeating: "a", count: 33))",
                    "v=STSv1; nothing", "v=STSv1; x=a=b; id=1"] {
            if case .success = MTASTSRecord.parse(bad) { Issue.record("\(bad) was accepted") }
        }
        #expect(MTASTSRecord.isCandidate("v=STSv1; id=1") && !MTASTSRecord.isCandidate("v=stsv1; id=1"))
    }

    @Test func policiesWithCRLFOrLF() throws {
        let crlf = try MTASTSPolicy.parse(Array("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n".utf8)).get()
        #expect(crlf.mode == .enforce && crlf.maxAge == 86400 && crlf.mx == ["mail.example.com", "*.example.net"])
        let lf = try MTASTSPolicy.parse(Array("version: STSv1\nmode: testing\nmx: MAIL.Example.com.\nmax_age: 1\nextension: x\n".utf8)).get()
        #expect(lf.mode == .testing && lf.mx == ["mail.example.com"])
        #expect(try MTASTSPolicy.parse(Array("version: STSv1\nmode: none\nmax_age: 1".utf8)).get().mode == .none)
        // RFC 8461 section 3.2: a repeated field (all but mx) keeps its first entry; the others are ignored.
        let repeated = try MTASTSPolicy.parse(Array("version: STSv1\nmode: enforce\nmode: testing\nmx: a.b\nmax_age: 1\nmax_age: x\nversion: 2\n".utf8)).get()
        #expect(repeated.mode == .enforce && repeated.maxAge == 1)
        let bad: [(String, String)] = [
            ("mode: enforce\nmx: a.b\nmax_age: 1", "version"),
            ("version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1", "mode is \"strict\""),
            ("version: STSv1\nmode: enforce\nmax_age: 1", "no mx line"),
            ("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601", "max_age"),
            ("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1", "max_age"),
            ("version: STSv1\nmode: enforce\nmx: a.b", "no max_age"),
            ("version: STSv1\nmode: enforce\nmx: a b\nmax_age: 1", "mx \"a b\""),
            ("version: STSv1\rmode: enforce\nmx: a.b\nmax_age: 1", "lone CR"),
            ("\u{FEFF}version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1", "byte-order mark"),
            ("version: STSv1\njust text\n", "line 2"),
        ]
        for (body, why) in bad {
            switch MTASTSPolicy.parse(Array(body.utf8)) {
            case .success: Issue.record("accepted: \(body)")
            case .failure(let problem): #expect(problem.why.contains(why), "\(body): \(problem.why)")
            }
        }
        #expect(throws: RecordProblem.self) { try MTASTSPolicy.parse([0xff, 0xfe]).get() }
    }

    /// A wildcard matches exactly one more label on the left (section 4.1).
    @Test func mxPatterns() {
        let policy = MTASTSPolicy(mode: .enforce, maxAge: 1, mx: ["mail.example.com", "*.example.net"])
        #expect(policy.allows("mail.example.com") && policy.allows("MAIL.EXAMPLE.COM.") && policy.allows("a.example.net"))
        #expect(!policy.allows("example.net") && !policy.allows("a.b.example.net") && !policy.allows("other.example.com"))
        #expect(!policy.allows(".example.net") && !policy.allows("aexample.net"))
    }

    /// 1,000 mx lines parse, and matching them stays quick (the body is capped at 64 KiB anyway).
    @Test func thousandMXLines() throws {
        let body = "version: STSv1\nmode: enforce\nmax_age: 604800\n" + (0..<1_000).map { "mx: mx\($0).example.com\n" }.joined()
        #expect(body.utf8.count < MTASTSPolicy.maxBytes)
        let policy = try MTASTSPolicy.parse(Array(body.utf8)).get()
        #expect(policy.mx.count == 1_000)
        #expect(policy.allows("mx999.example.com") && !policy.allows("mx1000.example.com"))
    }

    @Test func tlsRPTRecords() throws {
        #expect(try TLSRPTRecord.parse("v=TLSRPTv1; rua=mailto:tls@example.com").get().rua == ["mailto:tls@example.com"])
        #expect(try TLSRPTRecord.parse("v=TLSRPTv1;rua=mailto:a@example.com, https://r.example.com/x").get().rua.count == 2)
        #expect(try TLSRPTRecord.parse("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com").get().rua.count == 2)
        for (bad, why) in [("v=TLSRPTv1", "followed"), ("v=TLSRPTv1;", "no rua"), ("v=TLSRPTv1; rua=ftp://x", "ftp://x"),
                           ("v=TLSRPTv1; rua=mailto:nobody", "mailto:nobody"),
                           ("v=TLSRPTv1; rua=", "is not a mailto")] {
            switch TLSRPTRecord.parse(bad) {
            case .success: Issue.record("accepted: \(bad)")
            case .failure(let problem): #expect(problem.why.contains(why), "\(bad): \(problem.why)")
            }
        }
    }

    /// Answers every policy host with one fetch, and counts them.
    final class Fetcher: MTASTSPolicyFetching, @unchecked Sendable {
        var answers: [String: MTASTSFetch] = [:]
        private let lock = NSLock()
        private(set) var fetched: [String] = []
        func fetchPolicy(host: String, addresses: [IPAddress]) async -> MTASTSFetch {
            lock.withLock { fetched.append(host) }
            return answers[host] ?? MTASTSFetch(outcome: .failed("no answer"))
        }
    }

    static func zone() -> FakeResolver {
        let dns = FakeResolver()
        dns.txtRecords = [
            "acme.test": ["v=spf1 ip4:192.0.2.25 -all"],
            "_dmarc.acme.test": ["v=DMARC1; p=none"],
            "_mta-sts.acme.test": ["v=STSv1; id=1"],
            "_smtp._tls.acme.test": ["v=TLSRPTv1; rua=mailto:tls@acme.test"],
            "_mta-sts.dpo.test": ["v=STSv1; id=1", "v=STSv1; id=2"],
            "dpo.test": ["v=spf1 -all"],
        ]
        dns.aRecords = ["relay.acme.test": ["192.0.2.25"], "mta-sts.acme.test": ["127.0.0.1"], "mx1.acme.test": ["192.0.2.26"],
                        "mx2.acme.test": ["192.0.2.27"], "mx.dpo.test": ["192.0.2.28"]]
        dns.mxRecords = ["acme.test": ["mx1.acme.test", "mx2.acme.test"], "dpo.test": ["mx.dpo.test"]]
        return dns
    }

    static func check(_ dns: FakeResolver, _ fetcher: Fetcher, dsar: String? = nil, certWarningDays: Int = 21) async -> [DeliverabilityFinding] {
        let checker = DeliverabilityChecker(resolver: dns, policyFetcher: fetcher, certWarningDays: certWarningDays)
        return await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: dsar,
                                                        sending: .smtp(host: "relay.acme.test"), dkimSelector: nil)])
    }

    static func policy(_ text: String, type: String = "text/plain") -> MTASTSFetch {
        MTASTSFetch(outcome: .answered(status: 200, contentType: type, body: Array(text.utf8)))
    }

    @Test func enforcedPolicyThatMissesAnMXIsAnError() async {
        let dns = Self.zone(), fetcher = Fetcher()
        fetcher.answers["mta-sts.acme.test"] = Self.policy("version: STSv1\nmode: enforce\nmx: mail.elsewhere.test\nmax_age: 604800\n")
        let none = await Self.check(dns, fetcher)
        #expect(none.map(\.id) == ["mta-sts-mx-mismatch"] && none.first?.severity == .error, "\(none)")
        // Only the backup misses: senders deliver to the primary; a warning.
        fetcher.answers["mta-sts.acme.test"] = Self.policy("version: STSv1\nmode: enforce\nmx: mx1.acme.test\nmax_age: 604800\n")
        let found = await Self.check(Self.zone(), fetcher)
        #expect(found.map(\.id) == ["mta-sts-mx-mismatch"], "\(found)")
        #expect(found.first?.severity == .warning)
        #expect(found.first?.message.contains("mx2.acme.test") == true && found.first?.message.contains("when the matching mx is down") == true)
        #expect(found.first?.details["mx"] == "mx2.acme.test")
        // In testing mode the same miss is a warning, beside the testing note.
        fetcher.answers["mta-sts.acme.test"] = Self.policy("version: STSv1\nmode: testing\nmx: mx1.acme.test\nmax_age: 604800\n")
        let testing = await Self.check(Self.zone(), fetcher)
        #expect(testing.map { "\($0.id) \($0.severity)" }.sorted() == ["mta-sts-mx-mismatch warning", "mta-sts-testing note"], "\(testing)")
        // A wildcard covering both is clean.
        fetcher.answers["mta-sts.acme.test"] = Self.policy("version: STSv1\nmode: enforce\nmx: *.acme.test\nmax_age: 604800\n")
        #expect(await Self.check(Self.zone(), fetcher).isEmpty)
    }

    /// The DSAR domain is checked too (data subjects' replies go there),
    /// and a domain shared by companies is fetched once per run.
    @Test func theDSARDomainIsCheckedAndPoliciesAreFetchedOnce() async {
        let dns = Self.zone(), fetcher = Fetcher()
        fetcher.answers["mta-sts.acme.test"] = Self.policy("version: STSv1\nmode: enforce\nmx: *.acme.test\nmax_age: 604800\n")
        let checker = DeliverabilityChecker(resolver: dns, policyFetcher: fetcher)
        let inputs = (0..<3).map { DeliverabilityInput(company: "c\($0)", senderDomain: "acme.test", dsarDomain: "dpo.test",
                                                       sending: .smtp(host: "relay.acme.test"), dkimSelector: nil) }
        let found = await checker.check(inputs).filter { $0.id.hasPrefix("mta-sts") || $0.id.hasPrefix("tlsrpt") }
        #expect(found.map(\.id) == Array(repeating: "mta-sts-record-invalid", count: 3), "\(found)")
        #expect(found.allSatisfy { $0.field == "dsar_sender.email" && $0.domain == "dpo.test" && $0.message.contains("2 records") })
        #expect(fetcher.fetched == ["mta-sts.acme.test"])
    }

    @Test func unavailableAndInvalidPoliciesAndCertificates() async {
        let soon = Date().addingTimeInterval(3 * 86_400 + 3_600)
        let cases: [(MTASTSFetch, [String], String)] = [
            (MTASTSFetch(outcome: .failed("Operation timed out")), ["mta-sts-policy-unavailable"], "timed out"),
            (MTASTSFetch(outcome: .answered(status: 302, contentType: nil, body: [])), ["mta-sts-policy-unavailable"], "HTTP 302, a redirect"),
            (MTASTSFetch(outcome: .answered(status: 404, contentType: "text/plain", body: [])), ["mta-sts-policy-unavailable"], "HTTP 404"),
            (MTASTSFetch(outcome: .tooLarge), ["mta-sts-policy-invalid"], "larger than 64 KiB"),
            (Self.policy("version: STSv1\nmode: enforce\nmx: *.acme.test\nmax_age: 1\n", type: "text/html"), ["mta-sts-policy-invalid"], "text/html"),
            (MTASTSFetch(outcome: .answered(status: 200, contentType: "text/plain", body: Array("version: STSv1\nmode: enforce\nmx: *.acme.test\nmax_age: 1\n".utf8)),
                         certificateExpiry: soon), ["mta-sts-cert-expiring"], "3 days left"),
        ]
        for (answer, ids, text) in cases {
            let fetcher = Fetcher()
            fetcher.answers["mta-sts.acme.test"] = answer
            let found = await Self.check(Self.zone(), fetcher)
            #expect(found.map(\.id) == ids, "\(answer): \(found)")
            #expect(found.first?.message.contains(text) == true, "\(found)")
            #expect(found.allSatisfy { $0.severity == .warning })
        }
        // probe.cert_warning_days: 0 turns the certificate warning off.
        let fetcher = Fetcher()
        fetcher.answers["mta-sts.acme.test"] = cases.last!.0
        #expect(await Self.check(Self.zone(), fetcher, certWarningDays: 0).isEmpty)
    }

    /// From the hostile review: records that do not begin "v=STSv1;" are
    /// dropped before counting (RFC 8461 3.1), so a note beside the real
    /// record does not void it; a policy that misses the MX is still an error.
    @Test func aNoteBesideTheRecordDoesNotVoidIt() async {
        let dns = Self.zone(), fetcher = Fetcher()
        dns.txtRecords["_mta-sts.acme.test"] = ["v=STSv1; id=1", "v=STSv1-note: see wiki"]
        dns.txtRecords["_smtp._tls.acme.test"] = ["v=TLSRPTv1; rua=mailto:tls@acme.test", "v=TLSRPTv1-note"]
        fetcher.answers["mta-sts.acme.test"] = Self.policy("version: STSv1\nmode: enforce\nmx: mail.elsewhere.test\nmax_age: 604800\n")
        let found = await Self.check(dns, fetcher)
        #expect(found.map { "\($0.id) \($0.severity)" } == ["mta-sts-mx-mismatch error"], "\(found)")
    }

    /// U+037E (GREEK QUESTION MARK) is canonically equivalent to ";" for
    /// Swift's Character, never for a receiver: records and policies are
    /// read byte by byte, and U+212A (KELVIN SIGN) is no "k".
    @Test func lookalikeCharactersAreNotSyntax() throws {
        if case .success = MTASTSRecord.parse("v=STSv1\u{037E} id=abc123") { Issue.record("U+037E taken as ';' in MTA-STS") }
        if case .success = TLSRPTRecord.parse("v=TLSRPTv1\u{037E} rua=mailto:a@example.com") { Issue.record("U+037E taken as ';' in TLS-RPT") }
        #expect(!DMARCRecord.isDMARCRecord("v=DMARC1\u{037E} p=reject"))
        #expect(DMARCRecord(parsing: "v=DMARC1; p=none\u{037E} sp=reject").subdomainPolicy == nil)
        if case .success = MTASTSPolicy.parse(Array("version: STSv1\nmode: enforce\nmx: m\u{212A}.example.com\nmax_age: 1\n".utf8)) {
            Issue.record("U+212A folded to k")
        }
        let policy = MTASTSPolicy(mode: .enforce, maxAge: 1, mx: ["mk.example.com"])
        #expect(!policy.allows("m\u{212A}.example.com"))
        // "version : STSv1" is no field (the ABNF puts ":" right after the name).
        #expect(throws: RecordProblem.self) { try MTASTSPolicy.parse(Array("version : STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\n".utf8)).get() }
    }

    /// A fetch the run's deadline cut is not "unavailable" (a warning): it is
    /// unknown, an error that fails the run, as endpoints not probed are.
    @Test func aFetchCutByTheDeadlineFailsTheRun() async {
        let fetcher = Fetcher()
        fetcher.answers["mta-sts.acme.test"] = MTASTSFetch(outcome: .notChecked("not fetched: the run's deadline was reached"))
        let found = await Self.check(Self.zone(), fetcher)
        #expect(found.map { "\($0.id) \($0.severity)" } == ["mta-sts-not-checked error"], "\(found)")
    }

    /// An address lookup that fails says nothing about whether the domain
    /// exists: np= must not apply, and the failure is reported.
    @Test func aFailedAddressLookupIsNotANonExistentDomain() async {
        let dns = Self.zone()
        dns.txtRecords["_dmarc.acme.test"] = ["v=DMARC1; p=none; sp=none; np=reject"]
        dns.typeFailures["A sub.acme.test"] = .servfail
        dns.typeFailures["AAAA sub.acme.test"] = .servfail
        dns.mxRecords["sub.acme.test"] = []
        let checker = DeliverabilityChecker(resolver: dns)
        let found = await checker.check([DeliverabilityInput(company: "a", senderDomain: "sub.acme.test", dsarDomain: nil,
                                                             sending: .smtp(host: "relay.acme.test"), dkimSelector: nil)])
        #expect(!found.contains { $0.id == "dmarc-reject-misaligned" }, "\(found)")
        #expect(found.contains { $0.id == "dns-servfail" && $0.details["query"] == "sub.acme.test A" }, "\(found)")
    }

    @Test func aPolicyHostWithoutAddressIsNotFetched() async {
        let dns = Self.zone()
        dns.aRecords["mta-sts.acme.test"] = nil
        let fetcher = Fetcher()
        let found = await Self.check(dns, fetcher)
        #expect(found.map(\.id) == ["mta-sts-policy-unavailable"], "\(found)")
        #expect(found.first?.message.contains("has no address") == true)
        #expect(fetcher.fetched.isEmpty)
    }

    /// A domain whose lookups time out is reported once per query that
    /// matters, not again for its MTA-STS and TLS-RPT records.
    @Test func aDomainThatTimesOutIsNotBlamedTwice() async {
        let dns = Self.zone()
        for name in ["acme.test", "_dmarc.acme.test", "_mta-sts.acme.test", "_smtp._tls.acme.test"] { dns.failures[name] = .timeout }
        let found = await Self.check(dns, Fetcher())
        #expect(!found.contains { $0.details["query"]?.contains("_mta-sts") == true || $0.details["query"]?.contains("_smtp._tls") == true }, "\(found)")
    }
}

import Foundation
import MailformDeliverability
import MailformDNS
import SPF
import Testing
import TestServerSupport

/// The checks through the real c-ares client against the Knot zones of
/// Tests/Servers/dns: one clean domain, and each broken zone giving its id.
struct EndToEndTests {

    static func check(_ inputs: [DeliverabilityInput], server: TestDNSServer) async throws -> [DeliverabilityFinding] {
        let dns = try DNSClient(servers: [server.address], timeoutMilliseconds: 2_000)
        return await DeliverabilityChecker(resolver: dns).check(inputs)
    }

    static func input(_ domain: String, dsar: String? = nil, _ sending: DeliverabilityInput.Sending,
                      selector: String? = nil) -> DeliverabilityInput {
        DeliverabilityInput(company: "acme", senderDomain: domain, dsarDomain: dsar, sending: sending, dkimSelector: selector)
    }

    @Test func goodTestPasses() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let findings = try await Self.check([
            Self.input("good.test", .smtp(host: "ns.good.test"), selector: "s1"),
            Self.input("good.test", dsar: "good.test", .platform(spfInclude: "_spf.platform.test"), selector: "s1"),
            Self.input("baddmarc.test", .platform(spfInclude: "_spf.platform.test")).with(company: "nested"),
            Self.input("mailgun.test", .mailgun(domain: "mailgun.test", records: [
                MailgunDNSRecord(recordType: "TXT", name: "mailgun.test", value: "v=spf1 include:mailgun.org ~all", valid: true),
                MailgunDNSRecord(recordType: "TXT", name: "s1._domainkey.mailgun.test", value: "k=rsa; p=…", valid: true),
            ]), selector: "s1").with(company: "mg"),
        ], server: server)
        #expect(findings.filter { $0.company != "nested" }.isEmpty, "\(findings)")
        // baddmarc.test reaches the platform's include through _spf.baddmarc.test;
        // its only problem is the DMARC record.
        #expect(findings.filter { $0.company == "nested" }.map(\.id) == ["dmarc-invalid"])
    }

    @Test func eachBrokenZoneGivesItsID() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let cases: [(DeliverabilityInput, [String])] = [
            (Self.input("nospf.test", .smtp(host: "ns.nospf.test")), ["spf-missing"]),
            (Self.input("toomany.test", .smtp(host: "127.0.0.1")), ["spf-lookup-limit"]),
            (Self.input("permerror.test", .smtp(host: "127.0.0.1")), ["spf-invalid"]),
            (Self.input("nodmarc.test", .smtp(host: "127.0.0.1"), selector: "s1"), ["dmarc-missing"]),
            (Self.input("baddmarc.test", .smtp(host: "127.0.0.1")), ["dmarc-invalid"]),
            (Self.input("weakdkim.test", .smtp(host: "127.0.0.1"), selector: "s1"), ["dkim-weak-key"]),
            (Self.input("missingdkim.test", .smtp(host: "127.0.0.1"), selector: "s1"), ["dkim-missing"]),
            (Self.input("missingdkim.test", .smtp(host: "127.0.0.1"), selector: "s2"), ["dkim-no-key"]),
            (Self.input("nomx.test", .smtp(host: "127.0.0.1")), ["mx-implicit"]),
            (Self.input("norelay.test", .smtp(host: "ns.norelay.test")), ["dmarc-reject-misaligned", "spf-relay-not-authorized"]),
            (Self.input("norelay.test", .platform(spfInclude: "_spf.platform.test")), ["dmarc-reject-misaligned", "spf-platform-include-missing"]),
            (Self.input("mailgun.test", .mailgun(domain: "mg.elsewhere.test", records: nil)), ["mailgun-not-aligned"]),
            (Self.input("servfail.test", .smtp(host: "127.0.0.1")), ["dns-servfail", "dns-servfail", "dns-servfail"]),
        ]
        let inputs = cases.enumerated().map { index, item in item.0.with(company: String(format: "c%02d", index)) }
        let findings = try await Self.check(inputs, server: server)
        for (index, item) in cases.enumerated() {
            let company = String(format: "c%02d", index)
            let got = findings.filter { $0.company == company }
            #expect(got.map(\.id) == item.1, "\(item.0.senderDomain): \(got)")
        }
        func first(_ domain: String, _ id: String) -> DeliverabilityFinding? { findings.first { $0.domain == domain && $0.id == id } }

        #expect(first("nospf.test", "spf-missing")?.record == "nospf.test TXT \"v=spf1 ip4:127.0.0.1 ~all\"")
        #expect(first("nospf.test", "spf-missing")?.severity == .warning)
        let limit = first("toomany.test", "spf-lookup-limit")
        #expect(limit?.details["lookups"] == "11")
        #expect(limit?.severity == .error)
        #expect(first("permerror.test", "spf-invalid")?.message.contains("\"bad\" is not a valid ipv4 address") == true)
        #expect(first("nodmarc.test", "dmarc-missing")?.record == "_dmarc.nodmarc.test TXT \"v=DMARC1; p=none; rua=mailto:dmarc@nodmarc.test\"")
        #expect(first("baddmarc.test", "dmarc-invalid")?.record == "_dmarc.baddmarc.test TXT \"v=DMARC1; p=none; rua=mailto:dmarc@baddmarc.test\"")
        #expect(first("weakdkim.test", "dkim-weak-key")?.details["bits"] == "512")
        #expect(findings.first { $0.id == "dkim-no-key" }?.message.contains("revoked") == true)
        #expect(first("nomx.test", "mx-implicit")?.severity == .note, "no MX but an address: the implicit MX (RFC 5321 5.1) delivers")
        let relay = first("norelay.test", "spf-relay-not-authorized")
        #expect(relay?.record == "norelay.test TXT \"v=spf1 ip4:127.0.0.1 ip4:192.0.2.1 -all\"")
        #expect(relay?.message.contains("outbound address may differ from its submission address") == true)
        #expect(relay?.field == "smtp.host")
        #expect(first("norelay.test", "dmarc-reject-misaligned")?.message.hasPrefix("mail will be quarantined") == true)
        #expect(first("norelay.test", "spf-platform-include-missing")?.record
                == "norelay.test TXT \"v=spf1 include:_spf.platform.test ip4:192.0.2.1 -all\"")
        #expect(Set(findings.filter { $0.domain == "servfail.test" }.compactMap { $0.details["query"] })
                == ["servfail.test TXT", "_dmarc.servfail.test TXT", "servfail.test MX"])
    }

    @Test func rejectMisaligned() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let findings = try await Self.check([Self.input("reject-misaligned.test", .smtp(host: "ns.reject-misaligned.test"))], server: server)
        #expect(findings.map(\.id) == ["dmarc-reject-misaligned", "spf-relay-not-authorized"])
        let reject = try #require(findings.first)
        #expect(reject.severity == .error)
        #expect(reject.message.hasPrefix("mail will be rejected"))
        #expect(reject.details == ["p": "reject", "sp": "reject", "t": "n", "adkim": "s", "aspf": "s", "policy": "reject",
                                   "record_domain": "reject-misaligned.test", "record": "v=DMARC1; p=reject; adkim=s; aspf=s"])
        // Mailgun out of alignment under p=reject: rejected too.
        let mailgun = try await Self.check([Self.input("reject-misaligned.test", .mailgun(domain: "mg.elsewhere.test", records: nil))], server: server)
        #expect(mailgun.map(\.id) == ["dmarc-reject-misaligned", "mailgun-not-aligned"])
    }

    @Test func organizationalDomainFallback() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let clean = try await Self.check([Self.input("mail.example.co.uk", .smtp(host: "127.0.0.1"), selector: "s1")], server: server)
        #expect(clean.isEmpty, "\(clean)")
        let findings = try await Self.check([Self.input("mail.example.co.uk", .smtp(host: "192.0.2.77"))], server: server)
        #expect(findings.map(\.id) == ["dmarc-reject-misaligned", "spf-relay-not-authorized"])
        let dmarc = try #require(findings.first)
        #expect(dmarc.details["record_domain"] == "example.co.uk")
        #expect(dmarc.details["p"] == "quarantine")
        #expect(dmarc.details["sp"] == "reject")
        #expect(dmarc.details["policy"] == "reject", "sp= applies to the subdomain")
    }

    @Test func timeoutIsAFindingWithinTheTimeout() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let timeout = 1_000
        let dns = try DNSClient(servers: [server.proxyAddress], timeoutMilliseconds: timeout)
        let checker = DeliverabilityChecker(resolver: dns)
        let findings = await checker.check([Self.input("timeout.test", .smtp(host: "ns.good.test"), selector: "s1")])
        #expect(findings.map(\.id) == ["dns-timeout", "dns-timeout", "dns-timeout", "dns-timeout"], "\(findings)")
        #expect(Set(findings.compactMap { $0.details["query"] })
                == ["timeout.test TXT", "_dmarc.timeout.test TXT", "s1._domainkey.timeout.test TXT", "timeout.test MX"])
        #expect(findings.allSatisfy { $0.severity == .error })
        // The lookups ran at once (a wall-clock bound would measure the test
        // runner's load, not the checker: speed belongs to bench/dns.sh).
        #expect(dns.statistics.peakInFlight >= 4, "lookups ran one after another: \(dns.statistics)")
        #expect(dns.statistics.deadlineExpiries + dns.statistics.upstreamQueries >= 4)
    }

    @Test func sharedDomainsAskKnotOnce() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let before = try server.queryCount("TXT")
        _ = try await Self.check([Self.input("good.test", .smtp(host: "ns.good.test"), selector: "s1")], server: server)
        let single = try server.queryCount("TXT") - before
        _ = try await Self.check((0..<10).map { Self.input("good.test", .smtp(host: "ns.good.test"), selector: "s1").with(company: "c\($0)") },
                                 server: server)
        let shared = try server.queryCount("TXT") - before - single
        #expect(single == shared, "one company asked \(single) TXT queries, ten asked \(shared)")
    }
}

extension DeliverabilityInput {
    func with(company: String) -> DeliverabilityInput {
        var copy = self
        copy.company = company
        return copy
    }
}

@testable import MailformDeliverability
import SPF
import Testing

/// The checker's logic on an in-memory zone: lookups shared across inputs,
/// provider rules, DMARC's "mail will be rejected" judgement, ordering.
struct CheckerTests {
    static let psl = PublicSuffixList(text: "com\nuk\nco.uk\ntest\n")

    /// acme.test: relay 192.0.2.25 authorised, DMARC reject, DKIM s1 (2048 bits), MX.
    static func zone() -> FakeResolver {
        let dns = FakeResolver()
        dns.txtRecords = [
            "acme.test": ["v=spf1 ip4:192.0.2.25 include:_spf.acme.test ~all", "site-verification=x"],
            "_spf.acme.test": ["v=spf1 include:_spf.platform.test ~all"],
            "_spf.platform.test": ["v=spf1 ip4:203.0.113.0/24 ~all"],
            "_dmarc.acme.test": ["v=DMARC1; p=reject"],
            "s1._domainkey.acme.test": ["v=DKIM1; k=rsa; p=\(DKIMKeyTests.rsa2048)"],
            "mg.acme.test": ["v=spf1 include:mailgun.org ~all"],
            "mailgun.org": ["v=spf1 ip4:198.51.100.0/24 ~all"],
        ]
        dns.aRecords = ["relay.acme.test": ["192.0.2.25"], "other-relay.test": ["192.0.2.99"]]
        dns.mxRecords = ["acme.test": ["mx.acme.test"]]
        return dns
    }

    @Test func inputsSharingADomainShareTheLookups() async {
        let dns = Self.zone()
        let checker = DeliverabilityChecker(resolver: dns, publicSuffixList: Self.psl)
        let inputs = (0..<5).map { index in
            DeliverabilityInput(company: "company\(index)", senderDomain: index % 2 == 0 ? "acme.test" : "ACME.test.",
                                dsarDomain: "acme.test", sending: .smtp(host: "relay.acme.test"), dkimSelector: "s1")
        }
        let findings = await checker.check(inputs)
        #expect(findings.isEmpty, "\(findings)")
        #expect(!dns.questions.isEmpty)
        for (question, count) in dns.questions {
            #expect(count == 1, "\(question) was asked \(count) times")
        }
        #expect(dns.count("TXT", "acme.test") == 1)
        #expect(dns.count("TXT", "_dmarc.acme.test") == 1)
        #expect(dns.count("A", "relay.acme.test") == 1)
        // A second run asks again: the cache lives for one run.
        _ = await checker.check(Array(inputs.prefix(1)))
        #expect(dns.count("TXT", "acme.test") == 2)
    }

    @Test func platformIncludeThroughNestedIncludes() async {
        let dns = Self.zone()
        let checker = DeliverabilityChecker(resolver: dns, publicSuffixList: Self.psl)
        let found = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                             sending: .platform(spfInclude: "_spf.platform.test"), dkimSelector: nil)])
        #expect(found.isEmpty, "\(found)")
        let missing = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                               sending: .platform(spfInclude: "spf.other.test"), dkimSelector: nil)])
        #expect(missing.map(\.id) == ["dmarc-reject-misaligned", "spf-platform-include-missing"])
        let include = missing.first { $0.id == "spf-platform-include-missing" }
        #expect(include?.record == "acme.test TXT \"v=spf1 include:spf.other.test ip4:192.0.2.25 include:_spf.acme.test ~all\"")
        #expect(include?.severity == .error)
        let unset = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                             sending: .platform(spfInclude: nil), dkimSelector: nil)])
        #expect(unset.map(\.id) == ["platform-spf-include-unset"])
        #expect(unset.first?.severity == .note)
        #expect(unset.first?.field == "provider")
    }

    @Test func mailgunRecordsAndAlignment() async {
        let dns = Self.zone()
        let checker = DeliverabilityChecker(resolver: dns, publicSuffixList: Self.psl)
        let good = [
            MailgunDNSRecord(recordType: "TXT", name: "mg.acme.test", value: "v=spf1 include:mailgun.org ~all", valid: true),
            MailgunDNSRecord(recordType: "TXT", name: "pic._domainkey.mg.acme.test", value: "k=rsa; p=\(DKIMKeyTests.rsa1024)", valid: nil),
            MailgunDNSRecord(recordType: "CNAME", name: "email.mg.acme.test", value: "mailgun.org", valid: true),
        ]
        // The sender's own SPF is a relay-only record: Mailgun's domain carries the envelope.
        let aligned = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                               sending: .mailgun(domain: "mg.acme.test", records: good), dkimSelector: nil)])
        #expect(aligned.isEmpty, "\(aligned)")

        var broken = good
        broken[1].valid = false
        broken[2].valid = false
        let invalid = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                               sending: .mailgun(domain: "mg.acme.test", records: broken), dkimSelector: nil)])
        #expect(invalid.map(\.id) == ["mailgun-dns-record-invalid", "mailgun-dns-record-invalid"])
        #expect(invalid.allSatisfy { $0.severity == .error && $0.domain == "mg.acme.test" && $0.field == "mailgun.domain" })
        #expect(invalid.map(\.record) == ["email.mg.acme.test CNAME mailgun.org", "pic._domainkey.mg.acme.test TXT \"k=rsa; p=\(DKIMKeyTests.rsa1024)\""])

        // A Mailgun domain under another organisation: neither SPF nor DKIM
        // aligns, and acme.test says p=reject.
        let foreign = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                               sending: .mailgun(domain: "mg.elsewhere.test", records: nil), dkimSelector: nil)])
        #expect(foreign.map(\.id) == ["dmarc-reject-misaligned", "mailgun-not-aligned"])
        #expect(foreign.first?.message.hasPrefix("mail will be rejected:") == true)
        // With the sender's own DKIM key configured, DMARC can pass on DKIM.
        let signed = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                              sending: .mailgun(domain: "mg.elsewhere.test", records: nil), dkimSelector: "s1")])
        #expect(signed.map(\.id) == ["mailgun-not-aligned"])
    }

    @Test func strictAlignmentAndSubdomainPolicy() async {
        let dns = Self.zone()
        dns.txtRecords["_dmarc.acme.test"] = ["v=DMARC1; p=none; sp=quarantine; aspf=s; adkim=s"]
        dns.txtRecords["news.acme.test"] = ["v=spf1 ip4:192.0.2.25 -all"]
        dns.mxRecords["news.acme.test"] = ["mx.acme.test"]
        let checker = DeliverabilityChecker(resolver: dns, publicSuffixList: Self.psl)
        let records = [MailgunDNSRecord(recordType: "TXT", name: "k1._domainkey.mg.acme.test", value: "p=x", valid: true)]
        let findings = await checker.check([DeliverabilityInput(company: "a", senderDomain: "news.acme.test", dsarDomain: nil,
                                                                sending: .mailgun(domain: "mg.acme.test", records: records), dkimSelector: nil)])
        #expect(findings.map(\.id) == ["dmarc-reject-misaligned"])
        let finding = findings.first
        #expect(finding?.message.hasPrefix("mail will be quarantined") == true)
        #expect(finding?.details["record_domain"] == "acme.test")
        #expect(finding?.details["p"] == "none")
        #expect(finding?.details["sp"] == "quarantine")
        #expect(finding?.details["policy"] == "quarantine")
        #expect(finding?.details["aspf"] == "s")
        #expect(finding?.details["adkim"] == "s")
        #expect(finding?.details["pct"] == "100")
    }

    @Test func dnsFailuresAreFindingsNamingTheQuery() async {
        let dns = Self.zone()
        dns.failures = ["acme.test": .servfail, "_dmarc.acme.test": .timeout]
        let checker = DeliverabilityChecker(resolver: dns, publicSuffixList: Self.psl)
        let findings = await checker.check([DeliverabilityInput(company: "a", senderDomain: "acme.test", dsarDomain: nil,
                                                                sending: .smtp(host: "relay.acme.test"), dkimSelector: nil)])
        #expect(Set(findings.map(\.id)) == ["dns-servfail", "dns-timeout"])
        #expect(findings.allSatisfy { $0.severity == .error })
        #expect(Set(findings.compactMap { $0.details["query"] }) == ["acme.test TXT", "_dmarc.acme.test TXT", "acme.test MX"])
        #expect(findings.contains { $0.message.hasPrefix("txt lookup for _dmarc.acme.test timed out") })
    }

    @Test func sortedByCompanyDomainId() async {
        let dns = FakeResolver()
        let checker = DeliverabilityChecker(resolver: dns, publicSuffixList: Self.psl)
        let findings = await checker.check([
            DeliverabilityInput(company: "zeta", senderDomain: "b.test", dsarDomain: "a.test", sending: .smtp(host: "192.0.2.1"), dkimSelector: "s"),
            DeliverabilityInput(company: "alpha", senderDomain: "c.test", dsarDomain: nil, sending: .platform(spfInclude: nil), dkimSelector: nil),
        ])
        let keys = findings.map { [$0.company, $0.domain, $0.id] }
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(findings.first?.company == "alpha")
        #expect(findings.contains { $0.company == "zeta" && $0.domain == "a.test" && $0.id == "mx-missing" && $0.field == "dsar_sender.email" })
        #expect(findings.contains { $0.company == "zeta" && $0.domain == "a.test" && $0.id == "spf-missing" && $0.field == "dsar_sender.email"
                && $0.record == "a.test TXT \"v=spf1 ip4:192.0.2.1 ~all\"" })
        #expect(findings.contains { $0.company == "zeta" && $0.domain == "b.test" && $0.id == "dkim-missing" && $0.field == "dkim.selector" })
    }
}

import Foundation
import MailformDNS
import SPF
import Testing
import TestServerSupport

/// Every zone of Tests/Servers/dns answers what the deliverability checks
/// (issue 13) expect, read through the real client from the real server.
struct ZoneTests {
    @Test func everyZoneAnswersAsPublished() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.address], timeoutMilliseconds: 2_000)

        // good.test: SPF among two TXT records, DMARC, DKIM, MX, A/AAAA, CNAME.
        let goodTXT = try #require(await dns.txt("good.test").records)
        #expect(Set(goodTXT) == ["v=spf1 ip4:127.0.0.1 include:_spf.platform.test ~all", "site-verification=mailform-good-test"])
        #expect(await dns.txt("_dmarc.good.test") == .records(["v=DMARC1; p=reject; adkim=r; aspf=r; rua=mailto:dmarc@good.test"]))
        #expect(await dns.mx("good.test").records?.sorted { $0.preference < $1.preference }
                == [DNSMXRecord(preference: 10, exchange: "mx1.good.test"), DNSMXRecord(preference: 20, exchange: "mx2.good.test")])
        #expect(await dns.a("good.test") == .records([IPAddress("192.0.2.10")!]))
        #expect(await dns.aaaa("good.test") == .records([IPAddress("2001:db8::10")!]))
        #expect(await dns.a("www.good.test") == .records([IPAddress("192.0.2.10")!]), "CNAME to the apex is followed")
        #expect(await dns.aaaa("alias.good.test") == .records([IPAddress("::1")!]))
        #expect(await dns.txtRecords("multi.good.test") == .records([["part one, ", "", "part two"]]))
        #expect(await dns.txt("multi.good.test") == .records(["part one, part two"]))

        // DKIM: a 2048-bit key split over two character-strings, joined.
        let dkimStrings = try #require(await dns.txtRecords("s1._domainkey.good.test").records?.first)
        #expect(dkimStrings.count == 3)
        let dkim = dkimStrings.joined()
        #expect(dkim.hasPrefix("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"))
        #expect(Self.keyBits(dkim) == 2048)
        #expect(Self.keyBits(try #require(await dns.txt("s1._domainkey.weakdkim.test").records?.first)) == 512)
        #expect(await dns.txt("s1._domainkey.missingdkim.test") == .nxdomain)
        #expect(await dns.txt("s2._domainkey.missingdkim.test") == .records(["v=DKIM1; k=rsa; p="]))

        #expect(await dns.txt("_spf.platform.test") == .records(["v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:1::/48 ~all"]))
        #expect(await dns.txt("nospf.test") == .records(["site-verification=mailform-nospf-test"]))
        #expect(await dns.txt("_dmarc.nospf.test") == .records(["v=DMARC1; p=none"]))
        #expect(await dns.txt("norelay.test") == .records(["v=spf1 ip4:192.0.2.1 -all"]))
        #expect(await dns.txt("toomany.test") == .records(["v=spf1 include:i1.toomany.test -all"]))
        for index in 1...10 {
            #expect(await dns.txt("i\(index).toomany.test") == .records(["v=spf1 include:i\(index + 1).toomany.test -all"]))
        }
        #expect(await dns.txt("i11.toomany.test") == .records(["v=spf1 ip4:127.0.0.1 -all"]))
        #expect(await dns.txt("permerror.test") == .records(["v=spf1 ip4:bad -all"]))
        #expect(await dns.txt("nodmarc.test") == .records(["v=spf1 ip4:127.0.0.1 -all"]))
        #expect(await dns.txt("_dmarc.nodmarc.test") == .nxdomain)
        #expect(await dns.txt("reject-misaligned.test") == .records(["v=spf1 ip4:192.0.2.99 -all"]))
        #expect(await dns.txt("_dmarc.reject-misaligned.test") == .records(["v=DMARC1; p=reject; adkim=s; aspf=s"]))
        #expect(await dns.txt("s1._domainkey.reject-misaligned.test") == .nxdomain)

        // Organisational-domain fallback: no _dmarc at mail.example.co.uk.
        #expect(await dns.txt("mail.example.co.uk") == .records(["v=spf1 ip4:127.0.0.1 -all"]))
        #expect(await dns.txt("_dmarc.mail.example.co.uk") == .nxdomain)
        #expect(await dns.txt("_dmarc.example.co.uk") == .records(["v=DMARC1; p=quarantine; sp=reject"]))

        #expect(await dns.mx("nomx.test") == .noData)
        #expect(await dns.a("nomx.test") == .records([IPAddress("127.0.0.1")!]))
        #expect(await dns.txt("mailgun.test") == .records(["v=spf1 include:mailgun.org ~all"]))
        #expect(await dns.txt("mailgun.org") == .records(["v=spf1 ip4:198.51.100.0/24 ~all"]))
        #expect(await dns.txt("D42.Bulk.Test.") == .records(["v=spf1 ip4:127.0.0.1 include:_spf.platform.test ~all"]),
                "wildcard, mixed case and a trailing dot")

        // PTR: one name, two names, IPv6.
        #expect(await dns.ptr(IPAddress("127.0.0.1")!.reverseDNSName) == .records(["mx1.good.test"]))
        #expect(Set(try #require(await dns.ptr(IPAddress("127.0.0.2")!.reverseDNSName).records)) == ["mx.nodmarc.test", "mx.weakdkim.test"])
        #expect(await dns.ptr(IPAddress("2001:db8::10")!.reverseDNSName) == .records(["good.test"]))
        #expect(await dns.ptr(IPAddress("127.0.0.9")!.reverseDNSName) == .nxdomain)
    }

    /// An answer too big for UDP comes back truncated; c-ares asks again over
    /// TCP — straight to knot, and through the proxy's TCP relay.
    @Test func largeAnswersFallBackToTCP() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        for address in [server.address, server.proxyAddress] {
            let dns = try DNSClient(servers: [address], timeoutMilliseconds: 2_000)
            let records = try #require(await dns.txt("big.good.test").records, "via \(address)")
            #expect(records.count == 8)
            #expect(records.allSatisfy { $0.utf8.count == 250 })
            #expect(Set(records.map { $0.prefix(8) }).count == 8)
        }
    }

    /// The modulus size of a DKIM RSA key record: the first DER INTEGER longer
    /// than 32 bytes in the `p=` SubjectPublicKeyInfo is the modulus; its
    /// length without the sign byte, in bits. Enough for the test keys.
    static func keyBits(_ record: String) -> Int? {
        guard let range = record.range(of: "p=") else { return nil }
        guard let der = Data(base64Encoded: String(record[range.upperBound...])) else { return nil }
        let bytes = [UInt8](der)
        var index = 0
        while index + 4 < bytes.count {
            if bytes[index] == 0x02 {
                var length = Int(bytes[index + 1])
                var start = index + 2
                if length & 0x80 != 0 {
                    let count = length & 0x7f
                    guard start + count <= bytes.count else { return nil }
                    length = bytes[start..<start + count].reduce(0) { $0 << 8 | Int($1) }
                    start += count
                }
                if length > 32 {
                    let padded = bytes[start] == 0 ? length - 1 : length
                    return padded * 8
                }
            }
            index += 1
        }
        return nil
    }
}

import MailformDNS
import SPF
import Testing
import TestServerSupport

/// `check_host()` over the network: the SPF module's evaluator with the
/// c-ares client as its resolver, against the test zones.
struct SPFResolverTests {
    @Test func checkHostOnTheTestZones() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.proxyAddress], timeoutMilliseconds: 700)
        let evaluator = SPFEvaluator(resolver: dns, receiver: "mailform.test")
        func check(_ ip: String, _ domain: String) async -> SPFResult {
            await evaluator.checkHost(ip: IPAddress(ip)!, domain: domain, sender: "postmaster@\(domain)", helo: "relay.test")
        }
        #expect(await check("127.0.0.1", "good.test").code == .pass)
        let viaInclude = await check("203.0.113.7", "good.test")
        #expect(viaInclude.code == .pass)
        #expect(viaInclude.mechanism == "include:_spf.platform.test")
        #expect(await check("192.0.2.200", "good.test").code == .softfail)
        #expect(await check("127.0.0.1", "norelay.test").code == .fail)
        #expect(await check("127.0.0.1", "reject-misaligned.test").code == .fail)
        let tooMany = await check("127.0.0.1", "toomany.test")
        #expect(tooMany.code == .permerror)
        #expect(tooMany.reason?.contains("more than 10 dns lookups") == true, "\(tooMany)")
        #expect(await check("127.0.0.1", "permerror.test").code == .permerror)
        #expect(await check("198.51.100.7", "mailgun.test").code == .pass)
        #expect(await check("127.0.0.1", "mailgun.test").code == .softfail)
        #expect(await check("127.0.0.1", "nospf.test").code == .none)
        #expect(await check("127.0.0.1", "nope.invalid").code == .temperror, "REFUSED (no such zone on the server) is a server failure")
        #expect(await check("127.0.0.1", "nope.test").code == .none, "NXDOMAIN from the test. zone: no SPF record")
        #expect(await check("127.0.0.1", "servfail.test").code == .temperror)
        #expect(await check("127.0.0.1", "timeout.test").code == .temperror)
        #expect(await check("127.0.0.1", "mail.example.co.uk").code == .pass)
    }

    @Test func theAdapterMapsEveryOutcome() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.proxyAddress], timeoutMilliseconds: 700)
        let resolver: any SPFResolver = dns
        #expect(await resolver.txt("multi.good.test") == .records([SPFTXTRecord(strings: ["part one, ", "", "part two"])]))
        #expect(await resolver.a("mx1.good.test") == .records([IPAddress("127.0.0.1")!]))
        #expect(await resolver.aaaa("mx1.good.test") == .records([IPAddress("::1")!]))
        #expect(await resolver.mx("nomx.test") == .noData)
        #expect(await resolver.mx("mailgun.test").recordsOrEmpty.map(\.exchange).sorted() == ["mxa.mailgun.org", "mxb.mailgun.org"])
        #expect(await resolver.ptr("1.0.0.127.in-addr.arpa") == .records(["mx1.good.test"]))
        #expect(await resolver.txt("nope.good.test") == .nxdomain)
        #expect(await resolver.txt("servfail.test") == .failure(.servfail))
        #expect(await resolver.txt("example.invalid") == .failure(.servfail))
        #expect(await resolver.txt("timeout.test") == .failure(.timeout))
    }
}

import Foundation
import MailformDNS
import Testing
import TestServerSupport

/// DNS failures come back as classified results (issue 13), from a real
/// server: NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeouts, refused connections.
struct FailureClassificationTests {
    @Test func voidAnswersAndServerErrorsAreToldApart() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.address], timeoutMilliseconds: 2_000)
        #expect(await dns.a("nope.good.test") == .nxdomain)
        #expect(await dns.txt("nope.good.test") == .nxdomain)
        #expect(await dns.a("onlytxt.good.test") == .noData)
        #expect(await dns.mx("onlytxt.good.test") == .noData)
        #expect(await dns.aaaa("mx2.good.test") == .noData)
        #expect(await dns.txt("servfail.test") == .failure(.servfail), "knot answers SERVFAIL for a zone it could not load")
        #expect(await dns.a("example.invalid") == .failure(.refused), "knot refuses names outside its zones")
        #expect(await dns.txt("good.test\u{0}evil") == .failure(.other("the name cannot be queried (it contains a NUL byte)")))
        let tooLong = String(repeating: "a", count: 64) + ".good.test"
        if case .failure(.other) = await dns.txt(tooLong) {} else { Issue.record("a 64-byte label must fail as .other") }
    }

    @Test func aServerThatNeverAnswersIsATimeoutWithinThePerQueryTimeout() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let timeout = 800
        let dns = try DNSClient(servers: [server.proxyAddress], timeoutMilliseconds: timeout)
        let (answer, elapsed) = await TestDNSServer.timed(dns, DNSQuery("timeout.test", .txt))
        #expect(answer == .failure(.timeout))
        #expect(elapsed >= .milliseconds(timeout - 100), "gave up early, after \(elapsed)")
        // Generous bounds: this checks the deadline is enforced (not c-ares's
        // doubling tries), not speed, on a CI machine that may be loaded.
        #expect(elapsed < .milliseconds(timeout * 3), "took \(elapsed) with a timeout of \(timeout) ms")
        // The failure is cached for the run: asking again is immediate.
        let (again, againElapsed) = await TestDNSServer.timed(dns, DNSQuery("Timeout.Test.", .txt))
        #expect(again == .failure(.timeout))
        #expect(againElapsed < .milliseconds(timeout / 2), "a cached timeout cost the timeout again")
        #expect(dns.statistics.upstreamQueries == 1)
        // The proxy saw the query (so the timeout was not a local error), and
        // knot itself answers the name (NXDOMAIN from the test. zone).
        let log = try String(contentsOfFile: server.root + "/proxy.log", encoding: .utf8)
        #expect(log.contains("timeout.test. TXT"))
        let direct = try DNSClient(servers: [server.address], timeoutMilliseconds: timeout)
        #expect(await direct.txt("timeout.test") == .nxdomain)
    }

    @Test func timeoutsDoNotHoldUpOtherQueries() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(configuration: DNSClientConfiguration(servers: [server.proxyAddress], timeoutMilliseconds: 1_000, maxConcurrentQueries: 16))
        let slow = (0..<8).map { DNSQuery("n\($0).timeout.test", .txt) }
        let results = Results()
        for query in slow { dns.resolve(query) { results.add($0) } }
        let (fast, elapsed) = await TestDNSServer.timed(dns, DNSQuery("good.test", .txt))
        #expect(fast.records?.count == 2)
        #expect(elapsed < .milliseconds(700), "a good answer waited \(elapsed) behind timeouts")
        let all = dns.resolveAll(slow) // already asked: waits for the same lookups
        #expect(all.values.allSatisfy { $0 == .failure(.timeout) })
        #expect(results.count == 8)
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [DNSResult] = []
        func add(_ result: DNSResult) { lock.lock(); stored.append(result); lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return stored.count }
    }

    @Test func nothingListeningIsAClassifiedFailureNotAHang() async throws {
        // A port with nothing bound: the kernel answers ICMP port unreachable.
        let port = Int.random(in: 40_000...59_000)
        let dns = try DNSClient(servers: ["127.0.0.1:\(port)"], timeoutMilliseconds: 1_000)
        let (answer, elapsed) = await TestDNSServer.timed(dns, DNSQuery("good.test", .txt))
        guard case .failure(let failure) = answer else {
            Issue.record("expected a failure, got \(answer)")
            return
        }
        #expect(failure == .other("connection refused (nothing listens on the DNS server's port)") || failure == .timeout)
        #expect(elapsed < .milliseconds(3_000))
    }

    @Test func theSystemResolverIsTheDefaultAndAlwaysAnswersSomething() async throws {
        let dns = try DNSClient(configuration: DNSClientConfiguration(timeoutMilliseconds: 1_000))
        #expect(dns.configuration.servers.isEmpty)
        // Whatever the sandbox's network does, the outcome is one of the cases, in time.
        let (answer, elapsed) = await TestDNSServer.timed(dns, DNSQuery("mailform-nonexistent.invalid", .txt))
        #expect(elapsed < .milliseconds(3_000), "\(answer)")
    }

    /// Several servers (probe.dns.servers) are tried in order: one that
    /// never answers, or one that is down, leaves the answer to the next.
    @Test func theNextServerAnswersWhenOneTimesOutOrIsDown() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let silent = try DNSClient(servers: [server.proxyAddress, server.address], timeoutMilliseconds: 3_000)
        #expect(await silent.txt("timeout.test") == .nxdomain, "the proxy never answers timeout.test; knot does")
        let down = try DNSClient(servers: ["127.0.0.1:9", server.address], timeoutMilliseconds: 3_000)
        if case .records = await down.txt("good.test") {} else { Issue.record("the server after a closed port did not answer") }
    }

    /// A server that answers SERVFAIL (or REFUSED) leaves the question to
    /// the next one (issue 22, point 6); alone, it is still a classified SERVFAIL.
    @Test func theNextServerAnswersWhenOneSaysServfail() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let broken = try FlakyDNSServer(.servfail, upstreamPort: server.port)
        defer { broken.stop() }
        let client = try DNSClient(servers: [broken.address, server.address], timeoutMilliseconds: 3_000)
        for name in ["good.test", "nospf.test", "toomany.test"] {
            if case .records = await client.txt(name) {} else { Issue.record("\(name): the server after a SERVFAIL did not answer") }
        }
        #expect(await client.txt("nothing-here.good.test") == .nxdomain)
        let alone = try DNSClient(servers: [broken.address], timeoutMilliseconds: 3_000)
        #expect(await alone.txt("good.test") == .failure(.servfail))
    }

    /// Issue 13's note: a resolver that closes each TCP connection after
    /// one answer (answers truncated over UDP, so every lookup goes to TCP)
    /// made the other lookups on that connection report a failure.
    @Test func aServerThatClosesEachTCPConnectionAfterOneAnswer() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let once = try FlakyDNSServer(.tcpOnce, upstreamPort: server.port)
        defer { once.stop() }
        let client = try DNSClient(servers: [once.address], timeoutMilliseconds: 4_000)
        let names = ["good.test", "nospf.test", "toomany.test", "nodmarc.test", "weakdkim.test", "_dmarc.good.test",
                     "s1._domainkey.good.test", "i1.toomany.test", "i2.toomany.test", "i3.toomany.test"]
        let results = await withTaskGroup(of: (String, DNSResult).self) { group in
            for name in names { group.addTask { (name, await client.resolve(DNSQuery(name, .txt))) } }
            var out: [(String, DNSResult)] = []
            for await item in group { out.append(item) }
            return out
        }
        for (name, result) in results {
            if case .failure(let failure) = result { Issue.record("\(name): \(failure)") }
        }
    }
}

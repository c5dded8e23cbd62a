import Foundation
import MailformDNS
import Testing

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
        for address in [server.address, server.blackholeAddress] {
            let dns = try DNSClient(servers: [address], timeoutMilliseconds: timeout)
            let clock = ContinuousClock()
            let start = clock.now
            let answer = await dns.txt("timeout.test")
            let elapsed = clock.now - start
            #expect(answer == .failure(.timeout), "via \(address)")
            #expect(elapsed >= .milliseconds(timeout - 150), "gave up early after \(elapsed) via \(address)")
            #expect(elapsed < .milliseconds(timeout + 400), "took \(elapsed) via \(address), timeout \(timeout) ms")
            // The failure is cached for the run: asking again is immediate.
            let again = clock.now
            #expect(await dns.txt("timeout.test") == .failure(.timeout))
            #expect(clock.now - again < .milliseconds(50))
            #expect(dns.statistics.upstreamQueries == 1)
        }
        // The blackhole saw the queries (so the timeout was not a local error).
        let log = try String(contentsOfFile: server.root + "/blackhole.log", encoding: .utf8)
        #expect(log.contains("timeout.test. TXT"))
    }

    @Test func timeoutsDoNotHoldUpOtherQueries() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(configuration: DNSClientConfiguration(servers: [server.address], timeoutMilliseconds: 1_000, maxConcurrentQueries: 16))
        let clock = ContinuousClock()
        let start = clock.now
        async let slow = withTaskGroup(of: DNSAnswer<[String]>.self) { group in
            for index in 0..<8 { group.addTask { await dns.txt("n\(index).timeout.test") } }
            return await group.reduce(into: [DNSAnswer<[String]>]()) { $0.append($1) }
        }
        try await Task.sleep(for: .milliseconds(100))
        let fast = await dns.txt("good.test")
        let fastElapsed = clock.now - start
        #expect(fast.records?.count == 2)
        #expect(fastElapsed < .milliseconds(600), "a good answer waited \(fastElapsed) behind timeouts")
        #expect(await slow.allSatisfy { $0 == .failure(.timeout) })
    }

    @Test func nothingListeningIsAClassifiedFailureNotAHang() async throws {
        // A port with nothing bound: the kernel answers ICMP port unreachable.
        let port = Int.random(in: 40_000...59_000)
        let dns = try DNSClient(servers: ["127.0.0.1:\(port)"], timeoutMilliseconds: 1_000)
        let clock = ContinuousClock()
        let start = clock.now
        let answer = await dns.txt("good.test")
        guard case .failure(let failure) = answer else {
            Issue.record("expected a failure, got \(answer)")
            return
        }
        #expect(failure == .other("connection refused (nothing listens on the DNS server's port)") || failure == .timeout)
        #expect(clock.now - start < .milliseconds(1_400))
    }

    @Test func theSystemResolverIsTheDefaultAndAlwaysAnswersSomething() async throws {
        let dns = try DNSClient(configuration: DNSClientConfiguration(timeoutMilliseconds: 1_000))
        #expect(dns.configuration.servers.isEmpty)
        let clock = ContinuousClock()
        let start = clock.now
        // Whatever the sandbox's network does, the outcome is one of the cases, in time.
        let answer = await dns.txt("mailform-nonexistent.invalid")
        #expect(clock.now - start < .milliseconds(1_500), "\(answer)")
    }
}

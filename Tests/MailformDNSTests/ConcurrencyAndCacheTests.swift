import Foundation
import MailformDNS
import Testing
import TestServerSupport

/// Many queries in flight on one thread, bounded by the budget; one upstream
/// lookup per distinct question per run; the blocking batch form.
struct ConcurrencyAndCacheTests {
    @Test func identicalQueriesShareOneUpstreamLookup() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.address], timeoutMilliseconds: 2_000)
        let before = try server.queryCount("TXT")
        let answers = await withTaskGroup(of: DNSAnswer<[String]>.self) { group in
            for index in 0..<50 { group.addTask { await dns.txt(index.isMultiple(of: 2) ? "_dmarc.good.test" : "_DMARC.Good.Test.") } }
            return await group.reduce(into: [DNSAnswer<[String]>]()) { $0.append($1) }
        }
        #expect(answers.count == 50)
        #expect(answers.allSatisfy { $0 == .records(["v=DMARC1; p=reject; adkim=r; aspf=r; rua=mailto:dmarc@good.test"]) })
        // Later in the run: from the cache.
        #expect(await dns.txt("_dmarc.good.test").records?.count == 1)
        let stats = dns.statistics
        #expect(stats.requests == 51)
        #expect(stats.upstreamQueries == 1)
        #expect(stats.cacheHits + stats.sharedLookups == 50)
        // ...and the server agrees: it saw one TXT query.
        #expect(try server.queryCount("TXT") - before == 1)
    }

    @Test func theConcurrencyBudgetBoundsQueriesInFlight() throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(configuration: DNSClientConfiguration(servers: [server.address], timeoutMilliseconds: 2_000, maxConcurrentQueries: 8))
        let queries = (0..<300).map { DNSQuery("c\($0).bulk.test", .txt) }
        let results = dns.resolveAll(queries)
        #expect(results.count == 300)
        #expect(results.values.allSatisfy { $0 == .records([.txt(["v=spf1 ip4:127.0.0.1 include:_spf.platform.test ~all"])]) })
        #expect(dns.statistics.peakInFlight == 8)
        #expect(dns.statistics.upstreamQueries == 300)
    }

    /// The form the synchronous probe uses: no async context at all.
    @Test func resolveAllBlocksUntilEveryAnswerIsIn() throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.proxyAddress], timeoutMilliseconds: 1_000)
        let queries = [
            DNSQuery("good.test", .mx), DNSQuery("good.test", .a), DNSQuery("good.test", .aaaa),
            DNSQuery("nomx.test", .mx), DNSQuery("nope.good.test", .txt), DNSQuery("servfail.test", .txt),
            DNSQuery("timeout.test", .txt), DNSQuery("1.0.0.127.in-addr.arpa", .ptr),
            DNSQuery("GOOD.test.", .mx), // the same question as the first
        ]
        let results = dns.resolveAll(queries)
        #expect(results.count == 8)
        #expect(results[DNSQuery("good.test", .a)] == .records([.a(.init("192.0.2.10")!)]))
        #expect(results[DNSQuery("good.test", .aaaa)] == .records([.aaaa(.init("2001:db8::10")!)]))
        #expect(results[DNSQuery("good.test", .mx)]?.records?.count == 2)
        #expect(results[DNSQuery("nomx.test", .mx)] == .noData)
        #expect(results[DNSQuery("nope.good.test", .txt)] == .nxdomain)
        #expect(results[DNSQuery("servfail.test", .txt)] == .failure(.servfail))
        #expect(results[DNSQuery("timeout.test", .txt)] == .failure(.timeout))
        #expect(results[DNSQuery("1.0.0.127.in-addr.arpa", .ptr)] == .records([.ptr("mx1.good.test")]))
        #expect(dns.resolveAll([]).isEmpty)
    }

    /// A completion that calls resolveAll runs on the client's own thread,
    /// where waiting would never end: it gets a failure instead of a hang.
    @Test func resolveAllOnTheClientsThreadFailsInsteadOfHanging() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let dns = try DNSClient(servers: [server.address], timeoutMilliseconds: 1_000)
        let nested: DNSResult? = await withCheckedContinuation { continuation in
            dns.resolve(DNSQuery("good.test", .a)) { _ in
                continuation.resume(returning: dns.resolveAll([DNSQuery("good.test", .txt)])[DNSQuery("good.test", .txt)])
            }
        }
        guard case .failure(.other(let message))? = nested else {
            Issue.record("expected a failure, got \(String(describing: nested))")
            return
        }
        #expect(message.contains("own thread"))
    }

    /// A client dropped with lookups outstanding still answers them.
    @Test func droppingTheClientFinishesOutstandingLookups() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let answer: DNSResult = await withCheckedContinuation { continuation in
            do {
                let dns = try DNSClient(servers: [server.address], timeoutMilliseconds: 1_000)
                dns.resolve(DNSQuery("good.test", .a)) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(returning: .failure(.other("\(error)")))
            }
        }
        #expect(answer == .records([.a(.init("192.0.2.10")!)]))
    }
}

import Foundation
import MailformDNS
import Testing
import TestServerSupport

/// 2,000 domains × 3 queries (TXT, A, MX) against the local server, through
/// the blocking batch form and the async form; prints the times.
struct BenchmarkTests {
    @Test func twoThousandDomainsThreeQueriesEach() async throws {
        let server = try TestDNSServer.start()
        defer { server.stop() }
        let clock = ContinuousClock()

        let batch = try DNSClient(configuration: DNSClientConfiguration(servers: [server.address], timeoutMilliseconds: 5_000, maxConcurrentQueries: 64))
        let queries = (0..<2_000).flatMap { index in
            [DNSRecordType.txt, .a, .mx].map { DNSQuery("b\(index).bulk.test", $0) }
        }
        let batchStart = clock.now
        let results = batch.resolveAll(queries)
        let batchTime = clock.now - batchStart
        #expect(results.count == 6_000)
        #expect(results.values.allSatisfy { $0.records?.count == 1 }, "\(results.values.filter { $0.records?.count != 1 }.prefix(3))")

        let async = try DNSClient(configuration: DNSClientConfiguration(servers: [server.address], timeoutMilliseconds: 5_000, maxConcurrentQueries: 64))
        let asyncStart = clock.now
        let answered = await withTaskGroup(of: Int.self) { group in
            for index in 0..<2_000 {
                group.addTask {
                    async let txt = async.txt("a\(index).bulk.test")
                    async let a = async.a("a\(index).bulk.test")
                    async let mx = async.mx("a\(index).bulk.test")
                    return await (txt.records?.count ?? 0) + (a.records?.count ?? 0) + (mx.records?.count ?? 0)
                }
            }
            return await group.reduce(0, +)
        }
        let asyncTime = clock.now - asyncStart
        #expect(answered == 6_000)

        // A second pass over the same names: the per-run cache answers.
        let cachedStart = clock.now
        _ = batch.resolveAll(queries)
        let cachedTime = clock.now - cachedStart

        print("DNS benchmark: 2000 domains x 3 queries (TXT, A, MX), budget 64, local knot:"
              + " resolveAll \(batchTime), async \(asyncTime), cached resolveAll \(cachedTime);"
              + " peak in flight \(batch.statistics.peakInFlight)/\(async.statistics.peakInFlight)")
        #expect(batchTime < .seconds(30))
    }
}

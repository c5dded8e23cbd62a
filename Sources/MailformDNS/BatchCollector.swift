import Foundation

/// Gathers the answers of one `resolveAll` call, which arrive on the
/// client's thread (or on the caller's, for cached ones), and lets the caller
/// block until the last is in.
final class BatchCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [DNSQuery: DNSResult] = [:]
    private let expected: Int

    init(expected: Int) {
        self.expected = expected
    }

    func add(_ query: DNSQuery, _ result: DNSResult) {
        condition.lock()
        results[query] = result
        if results.count == expected { condition.broadcast() }
        condition.unlock()
    }

    /// Blocks until every expected answer is in. Each query ends within the
    /// client's per-query timeout once it is started, so this ends too.
    func wait() -> [DNSQuery: DNSResult] {
        condition.lock()
        defer { condition.unlock() }
        while results.count < expected { condition.wait() }
        return results
    }
}

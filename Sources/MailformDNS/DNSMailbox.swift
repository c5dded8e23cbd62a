import Foundation

/// The state callers and the event loop thread share: the per-run cache, the
/// queue of lookups waiting for a slot, the statistics, and the pipe that
/// wakes the loop.
///
/// Callers may be on any thread (async tasks, the probe's synchronous loop),
/// so everything here is behind one lock, held only for dictionary and
/// array updates; waiters are always called after it is released, since a
/// waiter may submit again (a CNAME follow-up, an SPF include).
final class DNSMailbox: @unchecked Sendable {
    typealias Waiter = @Sendable (DNSResult) -> Void

    /// A question's state in the run: answered (and cached for the rest of
    /// the run), or being looked up with everyone waiting for the answer.
    private enum Entry {
        case resolved(DNSResult)
        case pending([Waiter])
    }

    private let lock = NSLock()
    private var entries: [DNSQuery: Entry] = [:]
    private var queue: [DNSQuery] = []
    private var queueHead = 0
    private var closing = false
    private var wakePending = false
    private var stats = DNSClientStatistics()
    private var loopThread: pthread_t?

    /// The loop polls `wakeReader`; `submit` and `close` write a byte to
    /// `wakeWriter`. Non-blocking: a full pipe already means "wake up".
    let wakeReader: Int32
    private let wakeWriter: Int32

    init() throws(DNSConfigurationError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw DNSConfigurationError("cannot create the DNS client's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeReader = fds[0]
        wakeWriter = fds[1]
    }

    deinit {
        close(wakeReader)
        close(wakeWriter)
    }

    /// Asks `query`; `waiter` gets the answer — at once (on this thread) if the
    /// run already has it, otherwise on the loop thread when the lookup ends.
    /// Identical questions asked while a lookup is under way share it.
    func submit(_ query: DNSQuery, _ waiter: @escaping Waiter) {
        lock.lock()
        stats.requests += 1
        switch entries[query] {
        case .resolved(let result):
            stats.cacheHits += 1
            lock.unlock()
            waiter(result)
        case .pending(var waiters):
            stats.sharedLookups += 1
            waiters.append(waiter)
            entries[query] = .pending(waiters)
            lock.unlock()
        case nil:
            guard !closing else {
                lock.unlock()
                waiter(.failure(.other("the DNS client has shut down")))
                return
            }
            entries[query] = .pending([waiter])
            queue.append(query)
            let wake = !wakePending
            wakePending = true
            lock.unlock()
            if wake { signal() }
        }
    }

    /// Up to `limit` queued questions, oldest first, for the loop to start.
    func takeQueued(limit: Int) -> [DNSQuery] {
        lock.lock()
        defer { lock.unlock() }
        wakePending = false
        let count = min(max(limit, 0), queue.count - queueHead)
        let taken = Array(queue[queueHead..<queueHead + count])
        queueHead += count
        if queueHead > 1024, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return taken
    }

    /// Stores the answer for the rest of the run and hands it to every waiter.
    /// Failures are cached too: within one run a name that timed out is not
    /// asked again (and waited for again) by every check that needs it.
    func complete(_ query: DNSQuery, _ result: DNSResult) {
        lock.lock()
        guard case .pending(let waiters) = entries[query] else {
            lock.unlock()
            return
        }
        entries[query] = .resolved(result)
        lock.unlock()
        for waiter in waiters { waiter(result) }
    }

    /// Counts a lookup handed to c-ares, with the number now in flight.
    func recordStarted(inFlight: Int) {
        lock.lock()
        stats.upstreamQueries += 1
        stats.peakInFlight = max(stats.peakInFlight, inFlight)
        lock.unlock()
    }

    /// Counts a lookup the loop ended at its deadline.
    func recordDeadlineExpiry() {
        lock.lock()
        stats.deadlineExpiries += 1
        lock.unlock()
    }

    var statistics: DNSClientStatistics {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }

    /// The client is gone: the loop finishes what is queued and in flight,
    /// then exits. Nothing new can be submitted (nobody holds the client).
    func shutDown() {
        lock.lock()
        closing = true
        lock.unlock()
        signal()
    }

    /// Whether the loop may exit: closed, and no question waits for a slot.
    var isClosedAndDrained: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closing && queueHead == queue.count
    }

    /// Fails every question still waiting for a slot (the loop cannot go on).
    func failQueued(_ failure: DNSFailure) {
        for query in takeQueued(limit: Int.max) { complete(query, .failure(failure)) }
    }

    /// Called by the loop on its thread, so blocking calls can refuse to run there.
    func markLoopThread() {
        lock.lock()
        loopThread = pthread_self()
        lock.unlock()
    }

    /// Whether the caller is the loop's thread (where waiting would deadlock).
    var isLoopThread: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let loopThread else { return false }
        return pthread_equal(loopThread, pthread_self()) != 0
    }

    /// Empties the wake-up pipe (the loop calls this when it is readable).
    func drainWakeups() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeReader, &buffer, buffer.count) > 0 {}
    }

    private func signal() {
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
    }
}

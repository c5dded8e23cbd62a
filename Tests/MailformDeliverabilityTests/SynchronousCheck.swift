import Dispatch
import Foundation
import MailformDeliverability
import MailformDNS

/// How the synchronous CLI (a `ParsableCommand`) runs the async checker:
/// the check runs in a detached task and the calling thread waits on a
/// semaphore. Safe on the main thread or any thread of one's own; not on a
/// Swift concurrency thread, which the wait would take from the pool the
/// check needs.
enum SynchronousCheck {
    /// The findings handed from the task to the waiting thread; the
    /// semaphore orders the write before the read.
    private final class Box: @unchecked Sendable {
        var findings: [DeliverabilityFinding] = []
    }

    /// One run: one `DNSClient` (its cache is the run's), one checker.
    static func run(_ inputs: [DeliverabilityInput], servers: [String], timeoutMilliseconds: Int) throws -> [DeliverabilityFinding] {
        let dns = try DNSClient(servers: servers, timeoutMilliseconds: timeoutMilliseconds)
        let checker = DeliverabilityChecker(resolver: dns)
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            box.findings = await checker.check(inputs)
            done.signal()
        }
        done.wait()
        return box.findings
    }
}

import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// Prints pieces of text in order on a thread of its own, so that whoever
/// makes them never waits for the output.
final class Printer: @unchecked Sendable {
    private let condition = NSCondition()
    private var pieces: [String] = []
    private var finished = false
    private let done = DispatchGroup()

    init(_ print: @escaping (String) -> Void) {
        done.enter()
        // The hook is called from this one thread only, in order.
        nonisolated(unsafe) let print = print
        DispatchQueue.global().async { [self] in
            while let batch = next() { batch.forEach(print) }
            done.leave()
        }
    }

    func add(_ piece: String) {
        condition.withLock {
            pieces.append(piece)
            condition.signal()
        }
    }

    /// Waits until every piece added was printed.
    func finish() {
        condition.withLock {
            finished = true
            condition.signal()
        }
        done.wait()
    }

    /// The pieces added since the last call; nil once finished and empty.
    private func next() -> [String]? {
        condition.withLock {
            while pieces.isEmpty && !finished { condition.wait() }
            if pieces.isEmpty { return nil }
            defer { pieces.removeAll(keepingCapacity: true) }
            return pieces
        }
    }
}

import Dispatch
import Foundation

/// A value computed on another thread, waited for when needed (the next
/// chunk of an apply while this one is written; `git rev-parse` while the
/// plan is shown). Whoever reads `value` waits for it; a `Background` that
/// is dropped unread still finishes its work.
public final class Background<T>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: T?

    /// - Parameter ownThread: run on a thread of its own, not on the shared
    ///   pool: for work that mostly waits (the write, which waits for its
    ///   rows; git). On Linux the pool adds a thread for a blocked one only
    ///   after a while, so such work on it left the plan's text, made on
    ///   every core, running on one for 1.6 s of a 100,000-company apply.
    public init(ownThread: Bool = false, _ work: @escaping @Sendable () -> T) {
        done.enter()
        let run = { @Sendable in
            self.result = work()
            self.done.leave()
        }
        if ownThread {
            let thread = Thread(block: run)
            thread.stackSize = 8 << 20
            thread.start()
        } else {
            DispatchQueue.global().async(execute: run)
        }
    }

    /// Waits for the work, without reading it (nothing may still run at exit).
    public func wait() { done.wait() }

    public var value: T {
        done.wait()
        return result!
    }
}

/// A value one thread gives and others wait for (the digest of the plan
/// text an apply shows while another thread writes the plan).
public final class Promise<T>: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var result: T?

    public init() {}

    /// Gives the value; once.
    public func fulfill(_ value: T) {
        result = value
        ready.signal()
    }

    /// Waits for the value.
    public var value: T {
        ready.wait()
        defer { ready.signal() }
        return result!
    }
}

import Foundation

/// Folders a run made for itself (a saved plan's check), removed when it
/// ends, also when it is stopped by SIGINT, SIGTERM or SIGHUP: the run then
/// ends as the signal would have ended it, after the removal. (SIGKILL
/// cannot be caught; what it leaves is in a private 0700 folder.)
public enum TemporaryPaths {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    public static func add(_ path: String) { lock.withLock { _ = paths.insert(path) } }

    public static func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Removes every folder still registered (the run is ending normally:
    /// objects kept to the end, as a PostgreSQL store's copy, are never freed).
    public static func removeAll() {
        for path in lock.withLock({ paths }) { try? FileManager.default.removeItem(atPath: path) }
        lock.withLock { paths.removeAll() }
    }

    /// Installs the handlers; once, by the command line tool.
    public static func removeOnTermination() {
        lock.withLock {
            guard sources.isEmpty else { return }
            atexit { TemporaryPaths.removeAll() }
            for number in [SIGINT, SIGTERM, SIGHUP] {
                // The signal now reaches the handler, not the default action.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global(qos: .userInteractive))
                source.setEventHandler {
                    // Moved aside first: the run may still be writing into it.
                    for path in lock.withLock({ paths }) {
                        let doomed = path + ".removed"
                        try? FileManager.default.removeItem(atPath: rename(path, doomed) == 0 ? doomed : path)
                    }
                    // Ended by the signal's default action, on this thread
                    // (a dispatch thread blocks signals; so may the others).
                    signal(number, SIG_DFL)
                    var unblock = sigset_t()
                    sigemptyset(&unblock)
                    sigaddset(&unblock, number)
                    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
                    raise(number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

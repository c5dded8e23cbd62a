import Foundation
import JSONSchema

/// The files a run has read, indexed by the `source` number in every ``Mark``.
///
/// Paths are kept as the user should see them: relative to the current
/// directory when the file lies below it. Thread-safe: profiles are added
/// while companies load in parallel.
public final class SourceFiles: @unchecked Sendable {
    private var storedPaths: [String] = []
    private var storedAbsolutePaths: [String] = []
    private let lock = NSLock()

    public init() {}

    public var paths: [String] { lock.withLock { storedPaths } }
    public var absolutePaths: [String] { lock.withLock { storedAbsolutePaths } }

    /// Registers a file by absolute path and returns its source index.
    public func add(absolutePath: String, display: String? = nil) -> Int {
        lock.withLock {
            storedPaths.append(display ?? Paths.display(absolutePath))
            storedAbsolutePaths.append(absolutePath)
            return storedPaths.count - 1
        }
    }

    /// The path shown for a source index.
    public func path(_ source: Int) -> String { lock.withLock { storedPaths[source] } }

    /// The absolute path of the file a mark belongs to.
    public func absolutePath(of mark: Mark?) -> String? {
        guard let mark else { return nil }
        return lock.withLock { Int(mark.source) < storedAbsolutePaths.count ? storedAbsolutePaths[Int(mark.source)] : nil }
    }

    public func location(_ mark: Mark?) -> SourceLocation? {
        guard let mark else { return nil }
        return lock.withLock {
            Int(mark.source) < storedPaths.count
                ? SourceLocation(file: storedPaths[Int(mark.source)], line: Int(mark.line), column: Int(mark.column)) : nil
        }
    }

    /// The location of the first line of a file, for whole-file problems.
    public func start(of source: Int) -> SourceLocation {
        SourceLocation(file: path(source), line: 1, column: 1)
    }
}

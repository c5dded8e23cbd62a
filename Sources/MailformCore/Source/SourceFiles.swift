import JSONSchema

/// The files a run has read, indexed by the `source` number in every ``Mark``.
///
/// Paths are kept as the user should see them: relative to the current
/// directory when the file lies below it.
public final class SourceFiles: @unchecked Sendable {
    public private(set) var paths: [String] = []
    public private(set) var absolutePaths: [String] = []

    public init() {}

    /// Registers a file by absolute path and returns its source index.
    public func add(absolutePath: String) -> Int {
        paths.append(Paths.display(absolutePath))
        absolutePaths.append(absolutePath)
        return paths.count - 1
    }

    /// The absolute path of the file a mark belongs to.
    public func absolutePath(of mark: Mark?) -> String? {
        guard let mark, Int(mark.source) < absolutePaths.count else { return nil }
        return absolutePaths[Int(mark.source)]
    }

    public func location(_ mark: Mark?) -> SourceLocation? {
        guard let mark, Int(mark.source) < paths.count else { return nil }
        return SourceLocation(file: paths[Int(mark.source)], line: Int(mark.line), column: Int(mark.column))
    }

    /// The location of the first line of a file, for whole-file problems.
    public func start(of source: Int) -> SourceLocation {
        SourceLocation(file: paths[source], line: 1, column: 1)
    }
}

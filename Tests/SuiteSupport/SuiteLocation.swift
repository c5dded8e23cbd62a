import Foundation
import Testing

/// Where a shared conformance suite (kept outside the repository, in
/// `../shared/testdata/`) lives, and what its absence means.
///
/// The rule, the same for every suite:
/// - the suite is taken from the environment variable `environmentVariable` when
///   it is set, else from `shared/testdata/<folder>` in the first ancestor
///   directory of this source file (symbolic links resolved) that has it;
/// - on CI (`CI` set to anything but "", "false" or "0") a missing suite FAILS
///   every test that needs it, with the paths looked at;
/// - elsewhere those tests are skipped, and Swift Testing reports them as
///   skipped with the same message: never a silent pass.
///
/// Use it as a trait and in the body:
///
///     static let suite = SuiteLocation(name: "SPF test suite", folder: "spf",
///                                       environmentVariable: "SPF_TEST_SUITE")
///     @Test(.enabled(if: suite.shouldRun, suite.skipComment))
///     func conformance() throws { let dir = try Self.suite.require() ... }
///
/// One library target (`SuiteSupport`) that every suite's test target
/// depends on (the JSON Schema Test Suite, the RFC 7208 SPF suite).
public struct SuiteLocation: Sendable {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// For messages: "JSON Schema Test Suite".
    public let name: String
    public let environmentVariable: String
    /// The directory found, or nil.
    public let directory: URL?
    /// The suite folders looked at, in order.
    public let searched: [String]
    public let layouts: [String]

    /// - Parameters:
    ///   - folder: the suite's folder below `shared/testdata/`.
    ///   - layouts: sub-folders of the suite to accept, first match wins ("" = the folder itself).
    ///   - filePath: where the search for `shared/testdata` starts (the caller's file).
    public init(name: String, folder: String, layouts: [String] = [""], environmentVariable: String,
         environment: [String: String] = ProcessInfo.processInfo.environment, filePath: String = #filePath) {
        self.name = name
        self.environmentVariable = environmentVariable
        self.layouts = layouts
        var roots: [URL] = []
        if let override = environment[environmentVariable], !override.isEmpty {
            roots = [URL(fileURLWithPath: override)]
        } else {
            let file = URL(fileURLWithPath: filePath)
            for start in [file.resolvingSymlinksInPath(), file] {
                var dir = start.deletingLastPathComponent()
                for _ in 0..<32 where dir.path != "/" && !dir.path.isEmpty {
                    dir.deleteLastPathComponent()
                    let root = dir.appendingPathComponent("shared/testdata").appendingPathComponent(folder)
                    if !roots.contains(root) { roots.append(root) }
                }
            }
        }
        var searched: [String] = []
        var found: URL?
        search: for root in roots {
            searched.append(root.path)
            for layout in layouts {
                let candidate = layout.isEmpty ? root : root.appendingPathComponent(layout)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                    found = candidate
                    break search
                }
            }
        }
        self.directory = found
        self.searched = searched
    }

    /// True when `CI` is set to anything but "", "false" or "0".
    public static func isCI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["CI"]?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return !value.isEmpty && value != "false" && value != "0"
    }

    /// For `.enabled(if:)`: run when the suite is there, and on CI (where `require()` then fails).
    public var shouldRun: Bool { directory != nil || Self.isCI() }

    public var notFoundMessage: String {
        let below = layouts == [""] ? "" : " (with " + layouts.joined(separator: " or ") + " inside)"
        return "\(name) not found at \(searched.joined(separator: ", "))\(below); set \(environmentVariable) to its folder"
    }

    /// Swift Testing prints it as `Test x skipped: "<name> not found at <path>..."`.
    public var skipComment: Comment { Comment(rawValue: notFoundMessage) }

    /// The suite's directory; throws (failing the test) when it is missing.
    /// - Throws: ``Missing`` when the suite is not there.
    public func require() throws -> URL {
        if let directory { return directory }
        throw Missing(description: notFoundMessage + (Self.isCI() ? "; CI is set, so the suite is required" : ""))
    }
}

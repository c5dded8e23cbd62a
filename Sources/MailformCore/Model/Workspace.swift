import Foundation

public enum Mode: String, Sendable, Codable {
    case saas
    case onPremise = "on-premise"
}

/// The workspace settings (`mailform.yaml`), with defaults filled in and paths
/// made absolute.
public struct Workspace: Sendable {
    /// The folder of the workspace file (or the current folder when there is none).
    public var root: String
    /// The workspace file as the user should see it, when there is one.
    public var file: String?
    public var mode: Mode = .saas
    /// The store path from `store:`, absolute; `nil` when the file does not set it.
    public var storePath: String?
    public var profilesDirectory: String
    public var probeTimeoutMilliseconds = 10_000
    public var probeConcurrency = 64
    public var probeProxy: String?
    public var probeCAFile: String?
    /// Glob patterns of the environment variables `${env:}` may read.
    public var secretEnvPatterns = ["MAILFORM_*"]
    /// Folders outside the workspace that `${file:}` may read, absolute.
    public var secretDirectories: [String] = []
    public var maxDeletes = 5
    public var maxChangedPercent = 30.0

    public init(root: String) {
        self.root = root
        self.profilesDirectory = (root as NSString).appendingPathComponent("profiles")
    }

    /// The real (symlink-resolved) folders `${file:}` may read: the workspace and `secrets.dirs`.
    public var fenceFolders: [String] { ([root] + secretDirectories).map(Paths.real) }

    /// Whether `${env:name}` is inside the fence.
    public func allowsEnv(_ name: String) -> Bool {
        secretEnvPatterns.contains { Glob.matches(pattern: $0, name) }
    }
}

/// `*` wildcards, as in `MAILFORM_*` and `--company 'acme-*'`.
public enum Glob {
    public static func matches(pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

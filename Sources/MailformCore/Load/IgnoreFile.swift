import Foundation

/// `.mailformignore`: paths a folder argument skips, for repositories that
/// hold other YAML (CI workflows, Kubernetes manifests) beside company files.
///
/// One pattern a line, relative to the folder of the file; `#` starts a
/// comment; `*` matches within a name; a pattern ending in `/` names a folder.
public struct IgnoreFile: Sendable {
    let root: String
    let patterns: [(glob: String, folder: Bool)]

    public static let fileName = ".mailformignore"

    /// Reads the ignore file in `root`, if there is one.
    public init(root: String) {
        self.root = root
        let text = (try? String(contentsOfFile: (root as NSString).appendingPathComponent(Self.fileName), encoding: .utf8)) ?? ""
        patterns = text.split(separator: "\n").compactMap { raw in
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            guard !line.isEmpty else { return nil }
            let trimmed = line.hasPrefix("/") ? String(line.dropFirst()) : line
            return trimmed.hasSuffix("/") ? (String(trimmed.dropLast()), true) : (trimmed, false)
        }
    }

    /// Whether an absolute path is ignored.
    public func ignores(_ path: String, isDirectory: Bool) -> Bool {
        guard !patterns.isEmpty, Paths.isInside(path, root), path != root else { return false }
        let relative = String(path.dropFirst(root.count + (root.hasSuffix("/") ? 0 : 1)))
        let name = (relative as NSString).lastPathComponent
        for (glob, folder) in patterns {
            if folder && !isDirectory { continue }
            if Glob.matches(pattern: glob, relative) || (!glob.contains("/") && Glob.matches(pattern: glob, name)) { return true }
        }
        return false
    }
}

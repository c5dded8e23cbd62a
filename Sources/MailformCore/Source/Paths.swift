import Foundation

/// Path helpers: absolute paths for reading, short relative ones for showing.
public enum Paths {
    public static var currentDirectory: String { FileManager.default.currentDirectoryPath }

    /// Joins and normalises lexically (`.`, `..`, `//`), without touching the
    /// file system: symbolic links are resolved only where fences need it (`real`).
    public static func absolute(_ path: String, relativeTo base: String = currentDirectory) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        // Already normal (no "//", no "." or ".." part, no trailing "/"): most
        // paths are, and this runs for every reference of 100,000 files.
        var previous: UInt8 = 0, normal = true
        for b in joined.utf8 {
            if previous == 0x2F && (b == 0x2F || b == 0x2E) { normal = false; break }
            previous = b
        }
        if normal && (previous != 0x2F || joined.utf8.count == 1) { return joined }
        // One pass over the bytes: each part is appended after a "/", "."
        // is skipped and ".." cuts back to the previous "/" (every secret
        // reference `../../secrets/x` of 100,000 files comes through here).
        var out: [UInt8] = []
        out.reserveCapacity(joined.utf8.count)
        var part: [UInt8] = []
        func flush() {
            switch part {
            case [], [0x2E]: break
            case [0x2E, 0x2E]:
                if let slash = out.lastIndex(of: 0x2F) { out.removeSubrange(slash...) }
            default:
                out.append(0x2F)
                out.append(contentsOf: part)
            }
            part.removeAll(keepingCapacity: true)
        }
        for b in joined.utf8 {
            if b == 0x2F { flush() } else { part.append(b) }
        }
        flush()
        return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The path relative to the current folder when it lies below it, else absolute.
    public static func display(_ absolutePath: String) -> String {
        let cwd = currentDirectory
        if absolutePath == cwd { return "." }
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return absolutePath.hasPrefix(prefix) ? String(absolutePath.dropFirst(prefix.count)) : absolutePath
    }

    /// `path` written relative to the folder `base` (both absolute and
    /// normalised), e.g. `../secrets/acme-smtp.txt` from `/ws/companies`.
    public static func relative(_ path: String, from base: String) -> String {
        let target = path.split(separator: "/")
        let from = base.split(separator: "/")
        var common = 0
        while common < target.count && common < from.count && target[common] == from[common] { common += 1 }
        let parts = Array(repeating: "..", count: from.count - common) + target[common...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// The deepest folder both absolute paths lie in (`/` at least).
    public static func commonAncestor(_ a: String, _ b: String) -> String {
        let x = a.split(separator: "/"), y = b.split(separator: "/")
        var common = 0
        while common < x.count && common < y.count && x[common] == y[common] { common += 1 }
        return "/" + x[..<common].joined(separator: "/")
    }

    /// Resolves symbolic links, so fences compare real locations. A path that
    /// does not exist resolves through its nearest existing parent.
    public static func real(_ path: String) -> String {
        if let cached = realCache.get(path) { return cached }
        let result: String
        if let resolved = realpath(path, nil) {
            result = String(cString: resolved)
            free(resolved)
        } else {
            let parent = directory(of: path)
            result = parent == path ? path : real(parent) + "/" + (path as NSString).lastPathComponent
        }
        realCache.set(path, result)
        return result
    }

    private static let realCache = LockedCache()

    /// Forgets every resolved path: a run that reads files again later (an
    /// apply that re-reads companies as it writes) must see a folder that
    /// became a link meanwhile.
    public static func forgetRealPaths() { realCache.removeAll() }

    /// Whether `path` is `folder` or lies below it (both absolute and resolved).
    public static func isInside(_ path: String, _ folder: String) -> Bool {
        let f = folder.hasSuffix("/") ? folder : folder + "/"
        return path == folder || path.hasPrefix(f)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public static func readBytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        return [UInt8](data)
    }
}

/// A small thread-safe memo for `realpath`, shared by the parallel loaders.
final class LockedCache: @unchecked Sendable {
    private var values: [String: String] = [:]
    private let lock = NSLock()

    func get(_ key: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return values[key]
    }

    func set(_ key: String, _ value: String) {
        lock.lock()
        values[key] = value
        lock.unlock()
    }

    func removeAll() {
        lock.lock()
        values.removeAll()
        lock.unlock()
    }
}

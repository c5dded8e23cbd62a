import Foundation

/// Path helpers: absolute paths for reading, short relative ones for showing.
public enum Paths {
    /// Read once: mailform never changes directory, and `getcwd` for every
    /// path of 100,000 files was a measurable part of a plan.
    public static let currentDirectory: String = FileManager.default.currentDirectoryPath

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
        // A PostgreSQL store's URL: shown without any password, wherever a
        // store is named.
        if StoreLocation.isURL(absolutePath) { return StoreLocation.display(absolutePath) }
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
        var info = stat()
        let parent = directory(of: path)
        if path.hasPrefix("/"), parent != path, isLexicallyNormal(path), lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK {
            // Not a link itself: its real path is its folder's (resolved
            // once per folder) and its name. realpath() asked readlink()
            // of every component of every one of 100,000 files.
            let folder = real(parent)
            result = (folder == "/" ? "" : folder) + "/" + path[path.index(after: path.lastIndex(of: "/")!)...]
            // Folders are remembered; a file costs one lstat each time
            // (a memo of 300,000 file paths held 80 MB through the run).
            if (info.st_mode & S_IFMT) != S_IFDIR { return result }
        } else if let resolved = realpath(path, nil) {
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

    /// No empty, "." or ".." component and no trailing "/": the kernel
    /// resolves such a path component by component as written.
    static func isLexicallyNormal(_ path: String) -> Bool {
        var part = 0, dots = 0
        for (i, b) in path.utf8.enumerated() {
            if b == 0x2F {
                if part == 0 && i > 0 { return false }  // "//"
                if part == dots && (dots == 1 || dots == 2) { return false }
                part = 0; dots = 0
            } else {
                part += 1
                if b == 0x2E { dots += 1 }
            }
        }
        return part > 0 && !(part == dots && (dots == 1 || dots == 2))
    }

    /// `path` with every symbolic link on it replaced by its target, even
    /// where a target does not exist (yet): `realpath` gives up on a
    /// dangling link, and a pull request's checkout may hold a link to a
    /// secret file only the apply's runner has. At most 40 links are
    /// followed; past that the path is returned as far as it got.
    public static func resolvingLinks(_ path: String) -> String {
        // The folder is resolved once per run (10,000 references often share
        // a few folders); the last component is looked at every time.
        let full = absolute(path)
        let parent = directory(of: full)
        guard parent != full else { return full }
        let folder: String
        if let cached = linkCache.get(parent) {
            folder = cached
        } else {
            folder = resolvingEveryLink(parent)
            linkCache.set(parent, folder)
        }
        let candidate = (folder == "/" ? "" : folder) + "/" + (full as NSString).lastPathComponent
        var info = stat()
        if lstat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK { return resolvingEveryLink(candidate) }
        return candidate
    }

    private static let linkCache = LockedCache()

    /// `resolvingLinks`, remembered for the run: for a folder every
    /// reference of every file names (the workspace root), not for files.
    public static func resolvingLinksOnce(_ path: String) -> String {
        if let cached = onceCache.get(path) { return cached }
        let resolved = resolvingLinks(path)
        onceCache.set(path, resolved)
        return resolved
    }

    private static let onceCache = LockedCache()

    /// Every link on `path` followed in the kernel's order: each component
    /// is resolved before a `..` after it applies to it (`link/..` is the
    /// link target's parent, not the folder the link is in).
    static func resolvingEveryLink(_ path: String) -> String {
        walk(path, stoppingAt: { _ in false }).path
    }

    /// The first component of `path` inside `folder` (not `folder` itself)
    /// that is a symbolic link, in the kernel's order of resolution.
    /// Remembered per run (a plan of 10,000 companies names a few shared
    /// files 30,000 times).
    public static func linkInside(_ path: String, folder: String) -> String? {
        let full = absolute(path)
        let key = full + "\u{0}" + folder
        if let cached = linkInsideCache.get(key) { return cached.isEmpty ? nil : cached }
        // A folder whose walk met no link at all (100,000 secret files share
        // a hundred folders): only the last component is looked at.
        let parent = directory(of: full)
        if parent != full, isLexicallyNormal(full), linkFreeFolders.get(parent) != nil {
            var info = stat()
            if lstat(full, &info) != 0 || (info.st_mode & S_IFMT) != S_IFLNK { return nil }
        }
        let realFolder = real(folder)
        var metLink = false
        let end = walk(full, stoppingAt: { link in
            metLink = true
            return (isInside(link, folder) && link != folder) || (isInside(link, realFolder) && link != realFolder)
        })
        if !metLink, parent != full, isLexicallyNormal(full) { linkFreeFolders.set(parent, "") }
        let found = end.stopped ? end.path : nil
        linkInsideCache.set(key, found ?? "")
        return found
    }

    private static let linkInsideCache = LockedCache()
    /// Folders whose every component is no symbolic link (as the run found them).
    private static let linkFreeFolders = LockedCache()

    /// The kernel's walk of `path`: component by component, each symbolic
    /// link replaced by its target before what follows applies (so
    /// `link/..` is the target's parent). At most 40 links are followed, as
    /// the kernel's ELOOP limit: after that a link is kept as a name, so a
    /// link to itself ends the walk instead of looping. `stop` sees each
    /// link met (its path before resolution); when it says true the walk
    /// ends there with `stopped` and that link's path.
    private static func walk(_ path: String, stoppingAt stop: (String) -> Bool) -> (path: String, stopped: Bool) {
        var pending = Array(absolute(path).split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var hops = 0
        while let component = pending.popLast() {
            if component == "." || component.isEmpty { continue }
            if component == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = "/" + (resolved + [component]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                if stop(candidate) { return (candidate, true) }
                if hops < 40 {
                    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = readlink(candidate, &buffer, Int(PATH_MAX))
                    if n > 0 {
                        hops += 1
                        let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        if target.hasPrefix("/") { resolved = [] }
                        pending += target.split(separator: "/").map(String.init).reversed()
                        continue
                    }
                }
            }
            resolved.append(component)
        }
        return ("/" + resolved.joined(separator: "/"), false)
    }

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

    /// Whether anything is at `path` itself: a symbolic link counts, even one
    /// that leads nowhere (`exists` follows it).
    public static func existsNoFollow(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// - Throws: `CocoaError` when the file cannot be read.
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

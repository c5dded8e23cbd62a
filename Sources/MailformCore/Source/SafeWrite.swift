import Foundation

/// Writes files whose paths a pull request may have prepared.
///
/// A pull request controls the checkout: it can commit `plan.json` as a
/// symbolic link to the store, or `out/` as a link to the store's folder.
/// Every file mailform creates goes through here, and nothing here follows a
/// link: the content is written to a new file (`O_CREAT | O_EXCL |
/// O_NOFOLLOW`, opened relative to the parent folder's descriptor) and
/// renamed into place, which replaces a directory entry and never writes
/// through one. A target that is a link, a folder, a device or a FIFO, or a
/// regular file with another hard link (the store, the key), is refused
/// with a message that says so; a parent folder reached through a link,
/// anywhere on its path, is refused too (the folder is opened component by
/// component with `O_NOFOLLOW`). So is the store
/// a run has located, its side files and its key, by path and by device and
/// inode (`StoreLocation.resolve` names them here): `plan --out mailform.db`
/// once replaced the store with a plan.
public enum SafeWrite {
    public struct Refusal: MailformError, Sendable {
        public var path: String
        public var reason: String
        public var code: ErrorCode { .writeRefused }
        public var message: String { description }
        public var hint: String? { "mailform writes only regular files it can replace, never through a symbolic link" }
        public var description: String {
            "cannot write \(SafeText.escape(Paths.display(path))): \(reason); nothing was written there"
        }
    }

    /// Files no write of this run may replace: the store, its side files and
    /// its key, as each run locates them.
    private static let protected = ProtectedFiles()

    /// Adds `paths` to the files no write of this run replaces.
    public static func neverWrite(_ paths: [String]) { protected.add(paths) }

    private static func refuseProtected(_ absolute: String, identity: FileIdentity?) throws {
        if protected.contains(path: Paths.real(absolute), identity: identity) {
            throw Refusal(path: absolute, reason: "it is the store, one of its files or its key")
        }
    }

    /// Replaces (or creates) `path` with `bytes`, mode `mode`.
    ///
    /// - Parameter exclusive: refuse when the target exists at all (a new file only).
    /// - Throws: ``Refusal`` when the target or a parent folder is a link, the
    ///   target is not a regular file or is hard-linked, or a write fails.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, exclusive: Bool = false) throws {
        try write(to: path, mode: mode, exclusive: exclusive) { emit in try emit(bytes) }
    }

    /// The same, with the content given piece by piece: `body` calls `emit`
    /// for each piece (a saved plan of 100,000 companies is written as it is
    /// made, never held whole). The target is replaced only once `body`
    /// returns; an error from `body` leaves it as it was.
    /// - Throws: ``Refusal``, or what `body` throws.
    public static func write(to path: String, mode: mode_t = 0o644, exclusive: Bool = false,
                             _ body: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        let absolute = Paths.absolute(path)
        let parent = Paths.directory(of: absolute)
        let name = (absolute as NSString).lastPathComponent
        guard !name.isEmpty, name != ".", name != ".." else { throw Refusal(path: absolute, reason: "it is not a file name") }
        try checkParent(parent, target: absolute)
        // The folder is opened component by component without following a
        // link: one put in its place after the check is refused too.
        let dir = try openFolder(parent, target: absolute)
        defer { close(dir) }
        var info = stat()
        if fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK { throw Refusal(path: absolute, reason: "it is a symbolic link, and mailform never writes through a link (remove it, or choose another path)") }
            guard type == S_IFREG else { throw Refusal(path: absolute, reason: "it exists and is not a regular file") }
            if info.st_nlink > 1 { throw Refusal(path: absolute, reason: "it has another hard link (\(info.st_nlink) names for one file), so writing it could change another file") }
            try refuseProtected(absolute, identity: FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
            if exclusive { throw Refusal(path: absolute, reason: "it exists already") }
        } else if errno != ENOENT {
            throw Refusal(path: absolute, reason: String(cString: strerror(errno)))
        } else {
            try refuseProtected(absolute, identity: nil)
        }
        var random = [UInt8](repeating: 0, count: 8)
        for i in random.indices { random[i] = UInt8.random(in: 0...255) }
        let temporary = "." + name.prefix(64) + ".mailform-" + random.map { String(format: "%02x", $0) }.joined()
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Refusal(path: absolute, reason: "cannot create a file beside it (\(String(cString: strerror(errno))))") }
        var ok = false
        var open = true
        defer {
            if open { close(fd) }
            if !ok { unlinkat(dir, temporary, 0) }
        }
        _ = fchmod(fd, mode)
        // Pieces are gathered to about 1 MiB before each write(2).
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func flush() throws {
            var total = 0
            while total < buffer.count {
                let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + total, $0.count - total) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Refusal(path: absolute, reason: String(cString: strerror(errno)))
                }
                total += n
            }
            buffer.removeAll(keepingCapacity: true)
        }
        try body { piece in
            buffer.append(contentsOf: piece)
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        open = false
        let synced = fsync(fd) == 0
        let closed = close(fd) == 0
        guard synced && closed else { throw Refusal(path: absolute, reason: String(cString: strerror(errno))) }
        if exclusive {
            // link(2) never replaces: a file that appeared meanwhile stays.
            guard linkat(dir, temporary, dir, name, 0) == 0 else {
                throw Refusal(path: absolute, reason: errno == EEXIST ? "it exists already" : String(cString: strerror(errno)))
            }
            unlinkat(dir, temporary, 0)
        } else {
            guard renameat(dir, temporary, dir, name) == 0 else { throw Refusal(path: absolute, reason: String(cString: strerror(errno))) }
        }
        ok = true
        _ = fsync(dir)
    }

    /// Whether ``write(_:to:mode:exclusive:)`` would refuse `path`, without
    /// writing: a command checks every target before its first write.
    /// - Throws: ``Refusal``, as `write` would.
    public static func check(_ path: String) throws {
        let absolute = Paths.absolute(path)
        var current = ""
        for component in Paths.directory(of: absolute).split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0 else { return }  // created later, by makeDirectory
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw Refusal(path: absolute, reason: "its folder \(Paths.display(current)) is a symbolic link, and mailform never writes through a link")
            }
        }
        var info = stat()
        guard lstat(absolute, &info) == 0 else { return try refuseProtected(absolute, identity: nil) }
        let type = info.st_mode & S_IFMT
        if type == S_IFLNK { throw Refusal(path: absolute, reason: "it is a symbolic link, and mailform never writes through a link (remove it, or choose another path)") }
        guard type == S_IFREG else { throw Refusal(path: absolute, reason: "it exists and is not a regular file") }
        if info.st_nlink > 1 { throw Refusal(path: absolute, reason: "it has another hard link (\(info.st_nlink) names for one file), so writing it could change another file") }
        try refuseProtected(absolute, identity: FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)))
    }

    /// Creates a folder (and its missing parents) without following a link.
    /// - Throws: ``Refusal`` when a component is a link or not a folder.
    public static func makeDirectory(_ path: String) throws {
        let absolute = Paths.absolute(path)
        var current = ""
        for component in absolute.split(separator: "/") {
            current += "/" + component
            var info = stat()
            if lstat(current, &info) == 0 {
                let type = info.st_mode & S_IFMT
                if type == S_IFLNK {
                    throw Refusal(path: current, reason: "it is a symbolic link, and mailform never writes through a link (name the folder it points to)")
                }
                continue
            }
            guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                throw Refusal(path: current, reason: "cannot create the folder (\(String(cString: strerror(errno))))")
            }
        }
    }

    /// Every folder on the way must be reached without a link, wherever it
    /// is: a link outside the checkout (made by anyone) once let
    /// `--change-set LINK/acme-smtp.txt` replace a secret file.
    static func checkParent(_ parent: String, target: String) throws {
        var current = ""
        for component in parent.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0 else {
                throw Refusal(path: target, reason: "its folder \(Paths.display(current)) does not exist")
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw Refusal(path: target, reason: "its folder \(Paths.display(current)) is a symbolic link, and mailform never writes through a link (name the folder it points to)")
            }
        }
    }

    /// The folder `path` (absolute), opened from `/` one component at a
    /// time with `O_NOFOLLOW`.
    static func openFolder(_ path: String, target: String) throws -> Int32 {
        var fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Refusal(path: target, reason: "its folder cannot be opened (\(String(cString: strerror(errno))))") }
        for component in path.split(separator: "/") {
            let next = openat(fd, String(component), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(fd)
            guard next >= 0 else {
                throw Refusal(path: target, reason: failure == ELOOP || failure == ENOTDIR
                    ? "a folder on its way (\(SafeText.escape(String(component)))) is a symbolic link or not a folder, and mailform never writes through a link"
                    : "its folder cannot be opened (\(String(cString: strerror(failure))))")
            }
            fd = next
        }
        return fd
    }

    /// The first component of `path` below the current folder that is a
    /// symbolic link, if any: the store and its key are never opened
    /// through a link a checkout holds (a pull request could commit one).
    public static func linkBelowCurrentFolder(_ path: String) -> String? {
        // The kernel's walk, not the path as written: `/proc/self/cwd/x`
        // reaches the current folder through a link that lies outside it.
        Paths.linkInside(path, folder: Paths.currentDirectory)
    }
}

/// The paths (resolved) and identities of the files no write may replace.
final class ProtectedFiles: @unchecked Sendable {
    private var paths = Set<String>()
    private var identities = Set<FileIdentity>()
    private let lock = NSLock()

    func add(_ new: [String]) {
        let resolved = new.map(Paths.real)
        let found = new.compactMap(FileIdentity.init(path:))
        lock.lock()
        paths.formUnion(resolved)
        identities.formUnion(found)
        lock.unlock()
    }

    func contains(path: String, identity: FileIdentity?) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return paths.contains(path) || identity.map(identities.contains) == true
    }
}

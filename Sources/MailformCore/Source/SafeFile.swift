import Foundation

/// Reads files whose names and contents a pull request may control.
///
/// The size limit applies to what is actually opened: the file is opened
/// first (never following a final symbolic link, never blocking on a FIFO),
/// `fstat` must report a regular file no larger than the limit, and at most
/// `limit + 1` bytes are read, so a link to a 2 GB sparse file or a device
/// costs nothing. Callers decide *which* paths may be read (``WorkspaceFence``);
/// this type decides *how*.
public enum SafeFile {
    public enum Problem: MailformError, Sendable, Equatable {
        case notRegularFile
        case tooLarge(size: Int, limit: Int)
        case unreadable(String)

        public var code: ErrorCode { .fileUnreadable }
        public var description: String { message }

        /// A short message without the file's content.
        public var message: String {
            switch self {
            case .notRegularFile: "is not a regular file"
            case let .tooLarge(size, limit): "is \(size) bytes, over the \(SafeFile.describe(limit)) limit"
            case .unreadable(let reason): "cannot be read (\(reason))"
            }
        }
    }

    /// `1 MiB`, `64 KiB`.
    public static func describe(_ limit: Int) -> String {
        limit >= 1 << 20 && limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : limit >= 1024 ? "\(limit >> 10) KiB" : "\(limit) B"
    }

    /// Reads a regular file of at most `limit` bytes. `path` should already be
    /// the resolved (real) path; a final symbolic link is refused here.
    public static func read(_ path: String, limit: Int) -> Result<[UInt8], Problem> {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            return .failure(code == ELOOP ? .notRegularFile : .unreadable(String(cString: strerror(code))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notRegularFile) }
        if Int(info.st_size) > limit { return .failure(.tooLarge(size: Int(info.st_size), limit: limit)) }
        // Sized by what fstat reports (memory in proportion to the file), and
        // grown only up to limit + 1 should the file grow while it is read.
        var bytes = [UInt8](repeating: 0, count: min(limit, max(Int(info.st_size), 0)) + 1)
        var total = 0
        while true {
            if total == bytes.count {
                guard bytes.count <= limit else { break }
                bytes += [UInt8](repeating: 0, count: min(limit + 1, bytes.count * 2) - bytes.count)
            }
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + total, buffer.count - total)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable(String(cString: strerror(errno))))
            }
            if n == 0 { break }
            total += n
        }
        // The file grew between fstat and read: still bounded, still refused.
        if total > limit { return .failure(.tooLarge(size: total, limit: limit)) }
        bytes.removeSubrange(total...)
        return .success(bytes)
    }
}

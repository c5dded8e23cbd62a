import COpenSSL
import Foundation
import MailformCore

/// The 32-byte key that encrypts secrets at rest and keys their fingerprints.
///
/// From `MAILFORM_STORE_KEY` (base64 of 32 bytes), else from the key file
/// beside the store (`<store>.key`). On first use, when neither exists, a key
/// file is created with mode 0600 and the caller is told so.
public struct StoreKey: Sendable {
    let bytes: [UInt8]
    /// A short public id of the key (SHA-256 prefix), stored with each secret
    /// so a wrong key is named as such instead of failing obscurely.
    public let id: String

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.id = String(Digest.sha256Hex(bytes).prefix(16))
    }

    public static func keyFilePath(forStore store: String) -> String { StoreLocation.keyFile(forStore: store) }

    public enum Source: Sendable, Equatable {
        case environment
        case file(String)
        case created(String)
        /// Made for this run only (nothing encrypted needs a lasting key).
        case ephemeral
    }

    /// A random key for one run, never written anywhere.
    static func ephemeral() -> StoreKey {
        var bytes = [UInt8](repeating: 0, count: 32)
        if RAND_bytes(&bytes, 32) != 1 { bytes = Array(Digest.sha256(Array("\(ProcessInfo.processInfo.processIdentifier) \(Date())".utf8))) }
        return StoreKey(bytes: bytes)
    }

    public struct Failure: MailformError {
        public var description: String
        public var code: ErrorCode { .storeKey }
        public var message: String { description }
    }

    /// Loads the key; creates the key file when `create` is true and no key exists.
    /// - Throws: ``Failure`` when `MAILFORM_STORE_KEY` or the key file does not hold the base64 of 32 bytes.
    public static func load(storePath: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            create: Bool) throws -> (StoreKey, Source)? {
        if let text = environment["MAILFORM_STORE_KEY"] {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
                throw Failure(description: "MAILFORM_STORE_KEY is not the base64 of 32 bytes; generate one with 'openssl rand -base64 32'")
            }
            return (StoreKey(bytes: [UInt8](data)), .environment)
        }
        // A PostgreSQL store has no folder to keep a key file in: its key
        // comes from MAILFORM_STORE_KEY only.
        if StoreLocation.isURL(storePath) {
            guard create else { return nil }
            throw Failure(description: "a PostgreSQL store takes its key from MAILFORM_STORE_KEY, which is not set; generate one with 'openssl rand -base64 32' and keep it with the platform's secrets")
        }
        let path = keyFilePath(forStore: storePath)
        if FileManager.default.fileExists(atPath: path) {
            guard let raw = FileManager.default.contents(atPath: path),
                  let data = Data(base64Encoded: String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
                  data.count == 32 else {
                throw Failure(description: "store key file \(Paths.display(path)) does not hold the base64 of 32 bytes")
            }
            return (StoreKey(bytes: [UInt8](data)), .file(path))
        }
        guard create else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, 32) == 1 else { throw Failure(description: "cannot generate a random store key") }
        // Written whole to a file of its own, synced, then linked into place
        // (never over an existing file): two first applies of one store race
        // here, and the one that loses reads the winner's whole key. The file
        // has no name until it is linked (O_TMPFILE), so a kill leaves no
        // copy of the key behind; where the file system cannot, a named
        // temporary file is used and removed.
        let text = Array((Data(bytes).base64EncodedString() + "\n").utf8)
        let folder = Paths.directory(of: path)
        let unnamed = open(folder, openUnnamed, 0o600)
        if unnamed >= 0 {
            let stored = writeWhole(text, unnamed)
            let code = !stored ? EIO : linkat(AT_FDCWD, "/proc/self/fd/\(unnamed)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno
            close(unnamed)
            // ENOENT: no /proc to name the file through; a named one is tried.
            if code != ENOENT { return try finish(code) }
        }
        var template = Array((path + ".XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { return try finish(errno) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(temporary) }
        let stored = writeWhole(text, fd)
        close(fd)
        return try finish(!stored ? EIO : link(temporary, path) == 0 ? 0 : errno)

        /// The key linked (`code` 0), or the winner's key (EEXIST), or the error.
        func finish(_ code: Int32) throws -> (StoreKey, Source) {
            if code == EEXIST, let existing = try load(storePath: storePath, environment: environment, create: false) { return existing }
            guard code == 0 else {
                throw Failure(description: "cannot create store key file \(Paths.display(path)): \(String(cString: strerror(code)))")
            }
            // The key's name is as lasting as its bytes.
            let directory = open(folder, O_RDONLY | O_DIRECTORY)
            if directory >= 0 { fsync(directory); close(directory) }
            return (StoreKey(bytes: bytes), .created(path))
        }
    }

    /// `O_TMPFILE` (Linux; not in Swift's Glibc): a file without a name in the folder.
    private static let openUnnamed: Int32 = 0o20000000 | O_DIRECTORY | O_WRONLY | O_CLOEXEC

    /// Writes all of `bytes` and syncs them.
    private static func writeWhole(_ bytes: [UInt8], _ fd: Int32) -> Bool {
        let written = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
        return written == bytes.count && fsync(fd) == 0
    }
}

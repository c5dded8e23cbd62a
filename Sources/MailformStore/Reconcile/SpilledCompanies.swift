import Foundation
import COpenSSL
import MailformCore

/// Changed companies an apply cannot hold in memory, kept as the plan read
/// them in a file of their own until they are written: each sealed with
/// AES-256-GCM under a key that exists only in this run's memory, in a file
/// that has no name (`O_TMPFILE`, or unlinked at once). So what is written
/// is exactly what the plan showed, the workspace's files are not read
/// twice (an apply of 100,000 new companies read every file again and took
/// 2.1 times its plan), and nothing else can read or change the values:
/// a changed byte fails the company's authentication and stops the apply.
///
/// Appended on the loading thread, batch by batch; read by the writer.
public final class SpilledCompanies: @unchecked Sendable {
    let fd: Int32
    private let box: SecretBox
    private let lock = NSLock()
    private var end: Int64 = 0
    private var index: [String: (offset: Int64, length: Int)] = [:]

    public struct Failure: MailformError {
        public var description: String
        public var code: ErrorCode { .temporarySpace }
        public var message: String { description }
    }

    /// - Parameter folder: where the nameless file is made (the system's
    ///   temporary folder by default).
    /// - Throws: ``Failure`` when no key can be drawn or no file made.
    public init(folder: String = NSTemporaryDirectory()) throws {
        var key = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&key, 32) == 1 else { throw Failure(description: "cannot draw a key for the companies kept aside (OpenSSL RAND_bytes)") }
        box = try SecretBox(key: StoreKey(bytes: key))
        let dir = folder.isEmpty ? "/tmp" : folder
        var made = open(dir, O_RDWR | O_CLOEXEC | 0o20000000 /* O_TMPFILE */ | O_DIRECTORY, 0o600)
        if made < 0 {
            var template = Array((dir.hasSuffix("/") ? dir : dir + "/").utf8CString.dropLast()) + Array("mailform-spill-XXXXXX".utf8CString)
            made = mkstemp(&template)
            if made >= 0 { template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }; _ = fcntl(made, F_SETFD, FD_CLOEXEC) }
        }
        guard made >= 0 else {
            throw Failure(description: "cannot make a file in \(SafeText.escape(dir)) for the companies kept aside (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
        }
        fd = made
    }

    deinit { close(fd) }

    /// The companies kept aside so far.
    public var ids: Set<String> { lock.withLock { Set(index.keys) } }

    /// Seals and appends these companies (in parallel; written in one go).
    /// - Throws: ``Failure`` when one cannot be encoded or the file not written.
    public func append(_ companies: [Company<ResolvedSecret>]) throws {
        // One sealer per slice: a sealer sets up AES-GCM and HMAC and draws
        // nonces ahead, work one per company did 100,000 times over.
        let count = companies.count
        let slices = min(count, ProcessInfo.processInfo.activeProcessorCount * 4)
        let parts = Parallel.map(slices) { slice in
            Result { () throws -> [[UInt8]] in
                let sealer = try Sealer(self.box)
                return try ((slice * count / slices)..<((slice + 1) * count / slices)).map { try self.seal(companies[$0], with: sealer) }
            }
        }
        let sealed = try parts.flatMap { try $0.get() }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sealed.reduce(0) { $0 + $1.count })
        try lock.withLock {
            var offsets: [(String, Int64, Int)] = []
            for (company, blob) in zip(companies, sealed) {
                offsets.append((company.id, end + Int64(bytes.count), blob.count))
                bytes.append(contentsOf: blob)
            }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(end) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw Failure(description: "cannot keep the planned companies aside (\(String(cString: strerror(errno)))); nothing was written")
                }
                done += n
            }
            end += Int64(bytes.count)
            for (id, offset, length) in offsets { index[id] = (offset, length) }
        }
    }

    /// The companies of these ids that were kept aside, as they were appended.
    /// - Throws: ``Failure`` when one cannot be read back or fails its authentication.
    public func read(_ ids: [String]) throws -> [String: Company<ResolvedSecret>] {
        let wanted: [(String, Int64, Int)] = lock.withLock { ids.compactMap { id in index[id].map { (id, $0.offset, $0.length) } } }
        let read = Parallel.map(wanted.count) { i in Result { try self.unseal(wanted[i].0, offset: wanted[i].1, length: wanted[i].2) } }
        var out: [String: Company<ResolvedSecret>] = [:]
        for (entry, result) in zip(wanted, read) { out[entry.0] = try result.get() }
        return out
    }

    private func seal(_ company: Company<ResolvedSecret>, with sealer: Sealer) throws -> [UInt8] {
        let sealed = try sealer.seal(Secret(bytes: CompanyBytes.encode(company)), context: "mailform spill:" + company.id)
        return sealed.nonce + sealed.tag + sealed.ciphertext
    }

    private func unseal(_ id: String, offset: Int64, length: Int) throws -> Company<ResolvedSecret> {
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "cannot read back planned company \(SafeText.escape(id))") }
            done += n
        }
        guard length > 28 else { throw Failure(description: "planned company \(SafeText.escape(id)) was cut short") }
        let sealed = SealedSecret(keyID: box.keyID, nonce: Array(bytes[0..<12]), ciphertext: Array(bytes[28...]), tag: Array(bytes[12..<28]))
        let company: Company<ResolvedSecret>
        do {
            company = try CompanyBytes.decode(try box.open(sealed, context: "mailform spill:" + id).withRevealedBytes { $0 })
        } catch {
            throw Failure(description: "planned company \(SafeText.escape(id)) was changed while it was kept aside; nothing of it was written")
        }
        guard company.id == id else { throw Failure(description: "planned company \(SafeText.escape(id)) was changed while it was kept aside; nothing of it was written") }
        return company
    }
}

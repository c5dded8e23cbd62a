import Foundation
import MailformCore

/// Reads a saved plan of format 3 (``SavedPlanLines``) without holding it:
/// a first pass verifies the MAC over every byte and records where each
/// change's line is, with its SHA-256; later reads take lines by number
/// and refuse one whose bytes are not the ones the MAC covered (a file
/// swapped between two reads is caught there).
struct SavedPlanReader: Sendable {
    /// Refusals say what is wrong with the file; never the expected MAC.
    struct Refusal: MailformError {
        var description: String
        var code: ErrorCode = .planRefused
        var message: String { description }
    }

    /// The longest line a plan may hold (one company with a 64 KiB logo is about 100 KiB).
    static let maxLine = 16 << 20
    /// The largest plan file read.
    static let maxFile: UInt64 = 8 << 30

    let path: String
    let label: String
    let header: SavedPlanLines.Header
    /// `sha256:` of every byte before the trailer: names the plan in the revision log.
    let digest: String
    private let lines: [(offset: UInt64, length: Int, sha: [UInt8])]

    var count: Int { lines.count }

    /// Whether the file is of format 3: its first line is one JSON object
    /// (format 2 opens with `{` alone on its line).
    static func isLines(_ path: String) -> Bool {
        // Never blocks: a FIFO or device is not a plan (the reader of
        // format 2 refuses it), and opening a FIFO would wait for a writer.
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 2)
        return read(fd, &head, 2) == 2 && head[0] == UInt8(ascii: "{") && head[1] == UInt8(ascii: "\"")
    }

    /// The header, unverified: which workspace and store the MAC is checked with.
    static func peekHeader(_ path: String, label: String) throws -> SavedPlanLines.Header {
        var header: SavedPlanLines.Header?
        try eachLine(path, label: label) { index, bytes, _ in
            header = try decodeHeader(bytes, label: label)
            return false
        }
        guard let header else { throw Refusal(description: "\(label) is empty; run plan again") }
        return header
    }

    static func decodeHeader(_ bytes: [UInt8], label: String) throws -> SavedPlanLines.Header {
        let header: SavedPlanLines.Header
        do { header = try JSONDecoder().decode(SavedPlanLines.Header.self, from: Data(bytes)) } catch {
            throw Refusal(description: "\(label) is not a mailform plan file (its first line is not a plan's header); run plan again")
        }
        guard header.format_version == SavedPlanLines.format else {
            throw Refusal(description: "\(label) has plan format \(header.format_version); this mailform reads formats 2 and \(SavedPlanLines.format); run plan again")
        }
        return header
    }

    /// The first pass: the MAC over every byte before the trailer, checked
    /// against the trailer's; the lines indexed.
    /// - Parameter mac: `SecretBox.planMACStream()` of the store key at hand.
    init(path: String, label: String, mac: SecretBox.MACStream) throws {
        let digest = Digest.Stream()
        var header: SavedPlanLines.Header?
        var lines: [(offset: UInt64, length: Int, sha: [UInt8])] = []
        var pending: (bytes: [UInt8], offset: UInt64)?
        func take(_ line: [UInt8], offset: UInt64) throws {
            mac.update(line)
            digest.update(line)
            if header == nil {
                header = try Self.decodeHeader(Array(line.dropLast()), label: label)
            } else {
                guard lines.count < (header?.change_count ?? 0) else {
                    throw Refusal(description: "\(label) holds more changes than its header says; run plan again")
                }
                lines.append((offset, line.count - 1, Digest.sha256(Array(line.dropLast()))))
            }
        }
        try Self.eachLine(path, label: label) { _, bytes, offset in
            if let previous = pending { try take(previous.bytes + [0x0A], offset: previous.offset) }
            pending = (bytes, offset)
            return true
        }
        guard let trailerBytes = pending?.bytes, header != nil else {
            throw Refusal(description: "\(label) is not a whole mailform plan file (it ends before its signature); run plan again")
        }
        guard let trailer = try? JSONDecoder().decode(SavedPlanLines.Trailer.self, from: Data(trailerBytes)) else {
            throw Refusal(description: "\(label) is not a whole mailform plan file (its last line is not its signature); run plan again")
        }
        let expected = "hmac-sha256:" + mac.finishHex()
        guard SavedPlan.constantTimeEqual(Array(expected.utf8), Array(trailer.mac.utf8)) else {
            throw Refusal(description: "\(label) was modified after it was saved, or saved with another store key: its signature does not verify; nothing was written; run plan again",
                          code: .planSignature)
        }
        guard lines.count == header!.change_count else {
            throw Refusal(description: "\(label) holds \(lines.count) changes where its header says \(header!.change_count); run plan again")
        }
        self.path = path
        self.label = label
        self.header = header!
        self.digest = "sha256:" + digest.finishHex()
        self.lines = lines
    }

    /// Change lines `range`, decoded; a line whose bytes are not those the
    /// first pass read (and the MAC covered) is refused.
    func changes(_ range: Range<Int>) throws -> [SavedPlan.Change] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            if fd >= 0 { close(fd) }
            throw Refusal(description: "\(label) changed while it was read (it cannot be read again as a file); nothing was written; run apply again")
        }
        defer { close(fd) }
        var out: [SavedPlan.Change] = []
        out.reserveCapacity(range.count)
        let decoder = JSONDecoder()
        for i in range {
            let line = lines[i]
            var bytes = [UInt8](repeating: 0, count: line.length)
            var done = 0
            while done < line.length {
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, line.length - done, off_t(line.offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                done += n
            }
            let data = Data(bytes)
            guard done == line.length, Digest.sha256(bytes) == line.sha else {
                throw Refusal(description: "\(label) changed while it was read; nothing was written; run apply again")
            }
            do { out.append(try decoder.decode(SavedPlan.Change.self, from: data)) } catch {
                throw Refusal(description: "\(label) line \(i + 2) is not a plan's change (\(SavedPlan.describe(error))); run plan again")
            }
        }
        return out
    }

    /// Calls `body` with each line (without its newline), its number and its
    /// offset, until it returns false. Lines over `maxLine`, a file over
    /// `maxFile`, and a last line without a newline are refused.
    static func eachLine(_ path: String, label: String, _ body: (Int, [UInt8], UInt64) throws -> Bool) throws {
        // O_NONBLOCK: a FIFO put in the plan's place is refused, not waited on.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw Refusal(description: "\(label) cannot be read (\(String(cString: strerror(errno)))); nothing was written") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw Refusal(description: "\(label) is not a regular file; nothing was written")
        }
        guard UInt64(info.st_size) <= maxFile else {
            throw Refusal(description: "\(label) is \(info.st_size) bytes, over the \(maxFile >> 30) GiB limit of a plan file; nothing was written")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var line: [UInt8] = []
        var lineOffset: UInt64 = 0
        var bufferStart: UInt64 = 0
        var index = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Refusal(description: "\(label) cannot be read (\(String(cString: strerror(errno)))); nothing was written")
            }
            if n == 0 { break }
            var start = 0
            while start < n {
                let found = buffer.withUnsafeBytes { raw -> Int? in
                    guard let hit = memchr(raw.baseAddress! + start, 0x0A, n - start) else { return nil }
                    return raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
                }
                guard let newline = found else { break }
                line.append(contentsOf: buffer[start..<newline])
                guard line.count <= maxLine else { throw Refusal(description: "\(label) has a line over \(maxLine >> 20) MiB; run plan again") }
                guard try body(index, line, lineOffset) else { return }
                index += 1
                lineOffset = bufferStart + UInt64(newline + 1)
                line.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            if start < n { line.append(contentsOf: buffer[start..<n]) }
            bufferStart += UInt64(n)
            guard line.count <= maxLine else { throw Refusal(description: "\(label) has a line over \(maxLine >> 20) MiB; run plan again") }
        }
        guard line.isEmpty else { throw Refusal(description: "\(label) is not a whole mailform plan file (it ends inside a line); run plan again") }
    }
}

import CCurl
import Foundation
import MailformCore

/// One libcurl easy handle and everything its callbacks collect.
///
/// The debug callback sees the SMTP dialogue line by line: server replies are
/// kept (they explain failures), client commands only by their verb, because
/// the AUTH line carries the credentials.
final class CurlTransfer {
    let handle: UnsafeMutableRawPointer
    private(set) var events: [(time: Double, kind: Event)] = []
    private(set) var body: [UInt8] = []
    var bodyLimit = 1 << 20
    private(set) var bodyOverflow = false
    /// When the transfer began: reset when the driver starts it, so a queued
    /// transfer's stage times do not include its wait in the queue.
    var started = Date()
    /// Stopped (or never started) because the run's deadline was reached.
    var cutByDeadline = false
    /// libcurl writes its error text here for the handle's whole life, so the
    /// buffer is owned memory (an array's pointer is valid only inside the
    /// closure that lends it).
    private let errorBuffer: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        buffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return buffer
    }()
    /// Secret forms to blank out of anything the server sends back.
    var redactions: [String] = []
    private var stringStorage: [UnsafeMutablePointer<CChar>] = []
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    /// What an upload sends (the test message of `--send-test`).
    private var upload: [UInt8] = []
    private var uploadOffset = 0

    enum Event {
        case text(String)
        case serverLine(String)
        case clientVerb(String)
    }

    init?() {
        guard let h = curl_easy_init() else { return nil }
        handle = h
        _ = mf_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = mf_setopt_long(handle, CURLOPT_VERBOSE, 1)
        _ = mf_setopt_debug_function(handle, curlDebugCallback)
        _ = mf_setopt_pointer(handle, CURLOPT_DEBUGDATA, me)
        _ = mf_setopt_write_function(handle, curlWriteCallback)
        _ = mf_setopt_pointer(handle, CURLOPT_WRITEDATA, me)
        _ = mf_setopt_pointer(handle, CURLOPT_PRIVATE, me)
        _ = mf_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = mf_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
        _ = mf_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
        for p in stringStorage { free(p) }
        for l in lists { curl_slist_free_all(l) }
    }

    /// Sets a string-list option (mail recipients).
    func set(_ option: CURLoption, list: [String]) {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list { head = curl_slist_append(head, item) }
        guard let head else { return }
        lists.append(head)
        _ = mf_setopt_pointer(handle, option, head)
    }

    /// Uploads `bytes` as the request body (the SMTP DATA of a test message).
    func setUpload(_ bytes: [UInt8]) {
        upload = bytes
        uploadOffset = 0
        _ = mf_setopt_read_function(handle, curlReadCallback)
        _ = mf_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque())
        _ = mf_setopt_long(handle, CURLOPT_UPLOAD, 1)
        _ = mf_setopt_long(handle, CURLOPT_INFILESIZE, bytes.count)
    }

    fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, _ capacity: Int) -> Int {
        let count = min(capacity, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + uploadOffset, byteCount: count)
        }
        uploadOffset += count
        return count
    }

    /// Sets a string option; the copy lives as long as the transfer (libcurl
    /// copies most strings, but not all, so we keep ours).
    func set(_ option: CURLoption, _ value: String) {
        let copy = strdup(value)!
        stringStorage.append(copy)
        _ = mf_setopt_string(handle, option, copy)
    }

    func set(_ option: CURLoption, _ value: Int) { _ = mf_setopt_long(handle, option, value) }

    /// Sets a secret option from bytes, and remembers its forms for redaction.
    func setSecret(_ option: CURLoption, _ bytes: [UInt8]) {
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { copy[i] = CChar(bitPattern: b) }
        copy[bytes.count] = 0
        stringStorage.append(copy)
        _ = mf_setopt_string(handle, option, copy)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.count >= 3 { redactions += [text, Data(bytes).base64EncodedString()] }
    }

    /// libcurl's error text, escaped: it may quote what the server sent.
    var errorMessage: String { SafeText.escape(String(cString: errorBuffer)) }

    var elapsedMilliseconds: Int { Int(Date().timeIntervalSince(started) * 1000) }

    func long(_ info: CURLINFO) -> Int {
        var value = 0
        _ = mf_getinfo_long(handle, info, &value)
        return value
    }

    /// A secret that must never show in what the server sends back.
    func addRedaction(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.count >= 3 { redactions += [text, Data(bytes).base64EncodedString()] }
    }

    /// An exact string mailform sent that carries a secret (an AUTH token).
    func addRedactionText(_ text: String) {
        if text.count >= 3 { redactions.append(text) }
    }

    func redact(_ text: String) -> String {
        var out = text
        for secret in redactions where out.contains(secret) { out = out.replacingOccurrences(of: secret, with: "(redacted)") }
        return out
    }

    /// Set once the client sent AUTH: from then on a server line keeps only
    /// its reply code and enhanced status code. A server that received the
    /// credentials could echo them in any encoding (hex, reversed, split),
    /// which no list of known forms catches; text it sends after them is
    /// never shown, so there is nothing to decode.
    private(set) var credentialsSent = false

    /// A server line as kept: redacted, and after AUTH its code only.
    func serverLineKept(_ line: Substring) -> String {
        credentialsSent ? Self.codesOnly(line) : SafeText.escape(redact(String(line.prefix(512))))
    }

    /// A reply to the credentials as a message may quote it: its reply
    /// code and enhanced status code, never its text.
    static func codesOnly(_ line: Substring) -> String {
        let words = line.prefix(512).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard let first = words.first, first.count >= 3, first.prefix(3).allSatisfy(\.isNumber) else {
            return "(server text after the credentials not shown)"
        }
        var kept = String(first.prefix(4).filter { $0.isNumber || $0 == "-" })
        if words.count > 1, isEnhancedCode(words[1]) { kept += " " + words[1] }
        return kept + " (server text after the credentials not shown)"
    }

    /// An enhanced status code as RFC 3463 §2 writes it: class 2, 4 or 5, a
    /// subject and a detail of 1 to 3 digits each. Nothing longer: a server
    /// that has the credentials wrote the password as one 26-digit number
    /// in the "code" `5.<digits>.0`.
    static func isEnhancedCode(_ word: Substring) -> Bool {
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, ["2", "4", "5"].contains(parts[0]) else { return false }
        return parts.dropFirst().allSatisfy { (1...3).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// A server that answers EHLO with megabytes must not make the probe keep
    /// them: past this many events, only the last one is kept.
    static let maxEvents = 2_000

    fileprivate func record(_ type: curl_infotype, _ data: UnsafeMutablePointer<CChar>, _ size: Int) {
        let now = Date().timeIntervalSince(started)
        if events.count >= Self.maxEvents { events.removeLast() }
        switch type {
        case CURLINFO_TEXT:
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            events.append((now, .text(SafeText.escape(text.trimmingCharacters(in: .whitespacesAndNewlines)))))
        case CURLINFO_HEADER_IN:
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: min(size, 4096)), as: UTF8.self)
            // "\r\n" is one Character in Swift: split on newlines, whatever their form.
            for line in text.split(whereSeparator: \.isNewline) where !line.isEmpty {
                // Escaped: a server's reply must not drive the terminal or the CI log.
                events.append((now, .serverLine(serverLineKept(line))))
            }
        case CURLINFO_HEADER_OUT:
            // Only a known verb: "AUTH PLAIN <base64>" and the answers to a 334
            // challenge carry credentials, so nothing else of a client line is kept.
            let raw = UnsafeRawBufferPointer(start: data, count: min(size, 16))
            let word = String(decoding: raw, as: UTF8.self).split(whereSeparator: { $0 == " " || $0.isNewline }).first.map { String($0).uppercased() }
            let verb = word.flatMap { Self.knownVerbs.contains($0) ? $0 : nil } ?? "(credentials)"
            if verb == "AUTH" || verb == "(credentials)" { credentialsSent = true }
            events.append((now, .clientVerb(verb)))
        default:
            break
        }
    }

    fileprivate func append(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        if body.count + count > bodyLimit {
            bodyOverflow = true
            return 0
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    /// A command mailform sent itself on the connection (after CONNECT_ONLY): its verb only.
    func noteClient(_ verb: String) {
        if verb == "AUTH" || verb == "(credentials)" { credentialsSent = true }
        if events.count >= Self.maxEvents { events.removeLast() }
        events.append((Date().timeIntervalSince(started), .clientVerb(verb)))
    }

    /// A reply line read by mailform itself: redacted and escaped like libcurl's.
    func noteServer(_ line: String) {
        if events.count >= Self.maxEvents { events.removeLast() }
        events.append((Date().timeIntervalSince(started), .serverLine(serverLineKept(Substring(line)))))
    }

    /// The dialogue's outcome when mailform finished the session itself.
    var dialogueFailure: ProbeFailure?
    /// What the dialogue saw that the platform survives but a reviewer must know.
    var dialogueWarnings: [String] = []
    /// The password went over a connection without TLS.
    var plainTextAuth = false

    /// The connected socket (CONNECT_ONLY), or nil.
    var activeSocket: Int32? {
        var socket: curl_socket_t = -1
        guard mf_getinfo_socket(handle, &socket) == CURLE_OK, socket >= 0 else { return nil }
        return Int32(socket)
    }

    static let knownVerbs: Set<String> = ["EHLO", "HELO", "STARTTLS", "AUTH", "NOOP", "QUIT", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP",
                                          "GET", "POST", "HEAD"]

    static func from(_ pointer: UnsafeMutableRawPointer) -> CurlTransfer {
        Unmanaged<CurlTransfer>.fromOpaque(pointer).takeUnretainedValue()
    }
}

private func curlDebugCallback(_ handle: UnsafeMutableRawPointer?, _ type: curl_infotype, _ data: UnsafeMutablePointer<CChar>?,
                               _ size: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let data, let user else { return 0 }
    CurlTransfer.from(user).record(type, data, size)
    return 0
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                               _ user: UnsafeMutableRawPointer?) -> Int {
    guard let data, let user else { return 0 }
    return CurlTransfer.from(user).append(data, size * count)
}

private func curlReadCallback(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                              _ user: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let user else { return 0 }
    return CurlTransfer.from(user).read(into: buffer, size * count)
}

/// `curl_global_init`, once per process.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
}

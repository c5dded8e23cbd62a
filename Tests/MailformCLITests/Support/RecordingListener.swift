import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 (a free port) that speaks just enough SMTP for
/// a probe to get through — banner, EHLO with `AUTH PLAIN LOGIN`, AUTH
/// accepted with 235, 250 to anything else, 221 to QUIT — and records every
/// byte it receives. Tests use it to see what a probe sends, above all
/// whether it sent credentials (`sawAuth`).
///
/// `banner: nil` makes a silent server: it accepts and records, and never
/// answers, so the client waits until its timeout. Connections are served one
/// after the other on a background thread, which ends when the listener is
/// released or `stop()` is called.
final class RecordingListener: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// What the serving thread shares with the tests.
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var bytes: [UInt8] = []
        var connections = 0
        var stopped = false
        let done = DispatchSemaphore(value: 0)

        var isStopped: Bool { lock.withLock { stopped } }
        func record(_ chunk: ArraySlice<UInt8>) { lock.withLock { bytes += chunk } }
    }

    let port: Int
    private let state = State()

    /// - Parameter banner: the server's first bytes (with their CRLF), or nil for a silent server.
    /// - Parameter echoAuth: offer only AUTH PLAIN, and reject it with a reply that quotes the token
    ///   back (a hostile server fishing for it in logs).
    init(banner: String? = "220 rec ESMTP\r\n", echoAuth: Bool = false) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "bind/listen on 127.0.0.1: \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            close(fd)
            throw Failure(description: "getsockname: \(String(cString: strerror(errno)))")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let state = self.state
        let bannerBytes = banner.map { Array($0.utf8) }
        let thread = Thread { RecordingListener.serve(fd, banner: bannerBytes, echoAuth: echoAuth, state: state) }
        thread.start()
    }

    deinit { stop() }

    /// Everything received so far, on every connection, as text.
    var received: String { state.lock.withLock { String(decoding: state.bytes, as: UTF8.self) } }

    /// Whether any client sent an AUTH command.
    var sawAuth: Bool {
        received.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" })
            .contains { $0.uppercased().hasPrefix("AUTH") }
    }

    /// How many connections were accepted.
    var connections: Int { state.lock.withLock { state.connections } }

    /// Forgets what was received so far.
    func clear() {
        state.lock.withLock {
            state.bytes = []
            state.connections = 0
        }
    }

    /// Stops serving and waits (up to 5 s) for the thread to close its sockets.
    func stop() {
        let first = state.lock.withLock { () -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        if first { _ = state.done.wait(timeout: .now() + 5) }
    }

    private static func serve(_ listener: Int32, banner: [UInt8]?, echoAuth: Bool, state: State) {
        defer {
            close(listener)
            state.done.signal()
        }
        while !state.isStopped {
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            state.lock.withLock { state.connections += 1 }
            converse(client, banner: banner, echoAuth: echoAuth, state: state)
            close(client)
        }
    }

    private enum Step { case command, loginUser, loginPassword, plainResponse }

    /// One connection: at most 30 s, ended early by the client or `stop()`.
    private static func converse(_ fd: Int32, banner: [UInt8]?, echoAuth: Bool, state: State) {
        func reply(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        if let banner { _ = banner.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        let deadline = Date().addingTimeInterval(30)
        var pending: [UInt8] = []
        var step = Step.command
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !state.isStopped && Date() < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            state.record(buffer[0..<n])
            guard banner != nil else { continue }
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: 0x0A) {
                var line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                if line.last == 0x0D { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                let upper = text.uppercased()
                let words = text.split(separator: " ")
                switch step {
                case .loginUser:
                    reply("334 UGFzc3dvcmQ6\r\n")
                    step = .loginPassword
                    continue
                case .loginPassword, .plainResponse:
                    reply("235 2.7.0 accepted\r\n")
                    step = .command
                    continue
                case .command:
                    break
                }
                if upper.hasPrefix("EHLO") {
                    reply(echoAuth ? "250-rec\r\n250 AUTH PLAIN\r\n" : "250-rec\r\n250 AUTH PLAIN LOGIN\r\n")
                } else if upper.hasPrefix("HELO") {
                    reply("250 rec\r\n")
                } else if upper.hasPrefix("AUTH LOGIN") {
                    if words.count > 2 {
                        reply("334 UGFzc3dvcmQ6\r\n")
                        step = .loginPassword
                    } else {
                        reply("334 VXNlcm5hbWU6\r\n")
                        step = .loginUser
                    }
                } else if upper.hasPrefix("AUTH PLAIN") {
                    if words.count > 2 && echoAuth {
                        // The token, and what it decodes to in hex: no list of known forms catches every encoding.
                        let hex = (Data(base64Encoded: String(words[2])) ?? Data()).map { String(format: "%02x", $0) }.joined()
                        reply("535 5.7.8 you sent \(words[2]) hex=\(hex)\r\n")
                    } else if words.count > 2 {
                        reply("235 2.7.0 accepted\r\n")
                    } else {
                        reply("334 \r\n")
                        step = .plainResponse
                    }
                } else if upper.hasPrefix("AUTH") {
                    reply("504 mechanism not supported\r\n")
                } else if upper.hasPrefix("QUIT") {
                    reply("221 bye\r\n")
                    return
                } else {
                    reply("250 ok\r\n")
                }
            }
        }
    }
}

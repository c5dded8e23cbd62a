import Foundation

/// Tests/Servers/dns/flaky_dns.py: a resolver in front of the test Knot that
/// answers SERVFAIL to everything, or closes each TCP connection after one
/// answer. Stops when released (its stdin closes).
public final class FlakyDNSServer: @unchecked Sendable {
    public enum Mode: String { case servfail, tcpOnce = "tcp-once" }

    public let port: Int
    public var address: String { "127.0.0.1:\(port)" }
    private let process: Process
    private let stdin: Pipe

    public init(_ mode: Mode, upstreamPort: Int) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [TestDNSServer.scripts.appendingPathComponent("flaky_dns.py").path, mode.rawValue, String(upstreamPort)]
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let text = String(data: line, encoding: .utf8), let port = Int(text) else {
            throw TestDNSServer.Failure(description: "flaky_dns.py did not start (python3-dnslib?)")
        }
        self.port = port
    }

    public func stop() {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { if process.isRunning { process.terminate() } }
}

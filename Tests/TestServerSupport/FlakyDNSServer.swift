import Foundation

/// Tests/Servers/dns/flaky_dns.py: a resolver in front of the test Knot that
/// answers SERVFAIL to everything, or closes each TCP connection after one
/// answer. Stops when `stop()` closes its stdin.
public final class FlakyDNSServer: @unchecked Sendable {
    public enum Mode: String { case servfail, tcpOnce = "tcp-once" }

    public let port: Int
    public var address: String { "127.0.0.1:\(port)" }
    private let lab: LabProcess

    public init(_ mode: Mode, upstreamPort: Int) throws {
        lab = try LabProcess(script: TestDNSServer.scripts.appendingPathComponent("flaky_dns.py"),
                             arguments: [mode.rawValue, String(upstreamPort)], missing: "python3-dnslib?")
        guard let port = Int(String(decoding: lab.firstLine, as: UTF8.self)) else {
            throw TestDNSServer.Failure(description: "flaky_dns.py printed no port")
        }
        self.port = port
    }

    public func stop() { lab.stop() }
}

import Foundation
import MailformDNS

/// The Knot DNS test instance of Tests/Servers/dns (shared by the DNS,
/// deliverability and CLI test targets), started and stopped by its
/// scripts (see the README there).
///
/// Scripts run through `posix_spawn` with /dev/null and a file as their
/// standard streams, in a session of their own, and `waitpid` waits for the
/// script alone: `Foundation.Process` on Linux would also wait for the
/// daemons, which inherit descriptors, and never return.
public struct TestDNSServer: Decodable, Sendable {
    public let root: String
    public let port: Int
    public let pid: Int
    public let proxy_port: Int
    public let proxy_pid: Int
    public let control_socket: String
    public let log: String
    public let startup_seconds: Double

    /// `127.0.0.1:PORT`, as `DNSClientConfiguration.servers` takes it.
    public var address: String { "127.0.0.1:\(port)" }
    /// knot's answers through timeout_proxy.py, which never answers under timeout.test.
    public var proxyAddress: String { "127.0.0.1:\(proxy_port)" }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    static let scripts: URL = {
        var url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Tests/Servers/dns")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("start.sh").path) { return candidate }
        }
        return URL(fileURLWithPath: "Tests/Servers/dns")
    }()

    /// Starts an instance on a random free port (a few attempts, in case a
    /// port is taken meanwhile).
    public static func start() throws -> TestDNSServer {
        // The instance stops by itself when this test process ends (start.sh
        // watches the PID), also for shared instances no test stops.
        setenv("MAILFORM_DNS_WATCH_PID", String(getpid()), 1)
        let root = "/tmp/mailform-dns-\(UUID().uuidString.prefix(8))"
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20_000...59_000)
            let errFile = root + ".start.err"
            let status = try spawn(["/bin/bash", scripts.appendingPathComponent("start.sh").path, root, String(port)], stderr: errFile)
            lastError = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: errFile)
            if status == 0 {
                let data = try Data(contentsOf: URL(fileURLWithPath: root + "/instance.json"))
                return try JSONDecoder().decode(TestDNSServer.self, from: data)
            }
            _ = try? spawn(["/bin/bash", scripts.appendingPathComponent("stop.sh").path, root], stderr: "/dev/null")
        }
        throw Failure(description: "the Knot DNS test server did not start (apt-get install -y knot python3-dnslib): \(lastError)")
    }

    public func stop() {
        _ = try? Self.spawn(["/bin/bash", Self.scripts.appendingPathComponent("stop.sh").path, root], stderr: "/dev/null")
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Queries of `type` knot has answered so far (its mod-stats counters).
    public func queryCount(_ type: String) throws -> Int {
        let out = root + "/stats.out"
        let status = try Self.spawn(["/usr/sbin/knotc", "-s", control_socket, "stats", "mod-stats.query-type"], stdout: out, stderr: "/dev/null")
        guard status == 0 else { throw Failure(description: "knotc stats failed with status \(status)") }
        let text = try String(contentsOfFile: out, encoding: .utf8)
        for line in text.split(separator: "\n") where line.contains("query-type[\(type)]") {
            if let value = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) { return value }
        }
        return 0
    }

    /// Asks one query and measures how long the answer took, on the client's
    /// thread: timing an `await` would include the wait for a free thread in
    /// the cooperative pool, which other tests may be blocking.
    public static func timed(_ dns: DNSClient, _ query: DNSQuery) async -> (DNSResult, Duration) {
        let clock = ContinuousClock()
        return await withCheckedContinuation { continuation in
            let start = clock.now
            dns.resolve(query) { continuation.resume(returning: ($0, clock.now - start)) }
        }
    }

    /// Runs a program to completion (see `DaemonSpawn`).
    static func spawn(_ arguments: [String], stdout: String = "/dev/null", stderr: String) throws -> Int32 {
        try DaemonSpawn.run(arguments, stdout: stdout, stderr: stderr)
    }
}

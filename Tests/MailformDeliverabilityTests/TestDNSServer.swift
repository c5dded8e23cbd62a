import Foundation
import MailformDNS

/// The Knot DNS test instance of Tests/Servers/dns, started and stopped by its
/// scripts (see the README there).
///
/// Scripts run through `posix_spawn` with /dev/null and a file as their
/// standard streams, in a session of their own, and `waitpid` waits for the
/// script alone: `Foundation.Process` on Linux would also wait for the
/// daemons, which inherit descriptors, and never return.
struct TestDNSServer: Decodable {
    let root: String
    let port: Int
    let pid: Int
    let proxy_port: Int
    let proxy_pid: Int
    let control_socket: String
    let log: String
    let startup_seconds: Double

    /// `127.0.0.1:PORT`, as `DNSClientConfiguration.servers` takes it.
    var address: String { "127.0.0.1:\(port)" }
    /// knot's answers through timeout_proxy.py, which never answers under timeout.test.
    var proxyAddress: String { "127.0.0.1:\(proxy_port)" }

    struct Failure: Error, CustomStringConvertible {
        var description: String
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
    static func start() throws -> TestDNSServer {
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

    func stop() {
        _ = try? Self.spawn(["/bin/bash", Self.scripts.appendingPathComponent("stop.sh").path, root], stderr: "/dev/null")
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Queries of `type` knot has answered so far (its mod-stats counters).
    func queryCount(_ type: String) throws -> Int {
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
    static func timed(_ dns: DNSClient, _ query: DNSQuery) async -> (DNSResult, Duration) {
        let clock = ContinuousClock()
        return await withCheckedContinuation { continuation in
            let start = clock.now
            dns.resolve(query) { continuation.resume(returning: ($0, clock.now - start)) }
        }
    }

    /// Runs a program to completion and returns its exit status.
    static func spawn(_ arguments: [String], stdout: String = "/dev/null", stderr: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The calling thread blocks most signals (the test runtime's threads
        // do) and posix_spawn hands that mask on: daemons would then ignore
        // stop.sh's SIGTERM until it falls back to SIGKILL 5 s later. Start
        // the child with an empty mask and default handlers.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        let setSID: Int16 = 0x80 // POSIX_SPAWN_SETSID (glibc hides the name without _GNU_SOURCE)
        posix_spawnattr_setflags(&attributes, setSID | Int16(POSIX_SPAWN_SETSIGMASK) | Int16(POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let code = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard code == 0 else { throw Failure(description: "cannot start \(arguments[0]): \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

import Foundation
import TestServerSupport

/// A real PostgreSQL for the store tests (Tests/Servers/postgres): initdb
/// into a temporary folder as the postgres user, listening on 127.0.0.1 at
/// a random high port, stopped by PID when the test process ends. One
/// server per test process; each test makes a database of its own.
final class TestPostgres: @unchecked Sendable {
    struct Info: Decodable {
        var root: String
        var port: Int
        var pid: Int
        var socket_dir: String
        var bin: String
        var user: String
        var password: String
    }

    let info: Info
    static let shared: Result<TestPostgres, Error> = Result { try TestPostgres() }
    static func get() throws -> TestPostgres { try shared.get() }

    private static let scripts = CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/postgres")

    private init() throws {
        setenv("MAILFORM_PG_WATCH_PID", String(getpid()), 1)
        let root = "/tmp/mailform-pg-test-\(UUID().uuidString.prefix(8))"
        var lastError = ""
        for _ in 0..<4 {
            let port = Int.random(in: 20_000...59_000)
            let errFile = root + ".err"
            let status = try DaemonSpawn.run(["/bin/bash", Self.scripts.appendingPathComponent("start.sh").path, root, String(port)], stderr: errFile)
            lastError = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: errFile)
            if status == 0 {
                info = try JSONDecoder().decode(Info.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/instance.json")))
                return
            }
            _ = try? DaemonSpawn.run(["/bin/bash", Self.scripts.appendingPathComponent("stop.sh").path, root], stderr: "/dev/null")
            try? FileManager.default.removeItem(atPath: root)
        }
        struct Failed: Error, CustomStringConvertible { var description: String }
        throw Failed(description: "the PostgreSQL test server did not start (apt-get install -y postgresql): \(lastError)")
    }

    /// A new, empty database owned by the `mailform` role; its URL (no password).
    func database() throws -> String {
        let name = "store_" + UUID().uuidString.prefix(8).lowercased()
        try psql("CREATE DATABASE \(name) OWNER mailform")
        return url(name)
    }

    func url(_ database: String) -> String { "postgresql://mailform@127.0.0.1:\(info.port)/\(database)" }

    /// What a command needs to log in: the password from PGPASSWORD.
    var environment: [String: String] { ["PGPASSWORD": info.password] }

    /// Runs SQL as the superuser over the socket; returns the rows (`|` between columns).
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        let out = NSTemporaryDirectory() + "/pg-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let runuser = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let status = try DaemonSpawn.run(runuser + ["\(info.bin)/psql", "-h", info.socket_dir, "-p", String(info.port), "-U", "postgres",
                                                    "-d", database, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql], stdout: out, stderr: out)
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        struct Failed: Error, CustomStringConvertible { var description: String }
        guard status == 0 else { throw Failed(description: "psql failed: \(text)") }
        return text
    }

    /// The database name of a URL made by `database()`.
    static func name(_ url: String) -> String { String(url.split(separator: "/").last ?? "") }
}

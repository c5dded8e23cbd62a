import Foundation
import GRDB
import Testing

/// A copy of the saas example workspace in a temporary folder, with its own store.
final class ExampleWorkspace: @unchecked Sendable {
    let root: URL
    /// Variables every `run` adds (a store key, for plans saved before the store exists).
    var environment: [String: String] = [:]
    /// The workspace was set up to start its store: an `apply` run here gets
    /// `--create-store` while no store exists (and no --store names
    /// another). Tests of the missing-store refusal set it false.
    var startsStore = true

    /// Runs every command with a store key in MAILFORM_STORE_KEY: `plan --out`
    /// signs with it before any store (and key file) exists; only apply creates a key file.
    @discardableResult
    func usingStoreKey() -> ExampleWorkspace {
        environment["MAILFORM_STORE_KEY"] = Data((0..<32).map { UInt8(($0 * 37 + 11) % 256) }).base64EncodedString()
        return self
    }

    init(copying parts: [String] = ["mailform.yaml", "profiles", "companies", "secrets", "logos"]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let examples = CommandRunner.packageRoot.appendingPathComponent("examples")
        for part in parts {
            try FileManager.default.copyItem(at: examples.appendingPathComponent(part), to: root.appendingPathComponent(part))
        }
    }

    /// An empty workspace with a generated set of companies (bench/generate.py).
    init(generated count: Int, changedPercent: Int = 0, seed: Int = 1) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-gen-\(UUID().uuidString)")
        try ExampleWorkspace.generate(count, into: root, changedPercent: changedPercent, seed: seed)
    }

    static func generate(_ count: Int, into root: URL, changedPercent: Int = 0, seed: Int = 1) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [CommandRunner.packageRoot.appendingPathComponent("bench/generate.py").path, String(count), root.path,
                             "--changed", String(changedPercent), "--seed", String(seed)]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "bench/generate.py failed")
    }

    var storePath: String { root.appendingPathComponent("mailform.db").path }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func read(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func edit(_ relative: String, _ from: String, _ to: String) throws {
        let text = try read(relative)
        try #require(text.contains(from), "\(relative) has no '\(from)'")
        try write(relative, text.replacingOccurrences(of: from, with: to))
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: path(relative)) }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> CommandResult {
        var arguments = arguments
        if startsStore, arguments.first == "apply", !arguments.contains("--create-store") {
            // The store this apply would use: --store's, else the workspace's.
            let named = arguments.firstIndex(of: "--store").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
            let store = named.map { $0.hasPrefix("/") ? $0 : path($0) } ?? (environment["MAILFORM_STORE"] ?? self.environment["MAILFORM_STORE"] ?? storePath)
            // (A PostgreSQL store's tests say --create-store themselves.)
            if !store.contains("://"), !FileManager.default.fileExists(atPath: store) { arguments.append("--create-store") }
        }
        return try CommandRunner.run(arguments, in: root, environment: self.environment.merging(environment) { _, given in given }, stdin: stdin)
    }

    /// A read-only connection to the store for assertions.
    func database() throws -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: storePath, configuration: config)
    }

    func companyCount() throws -> Int {
        guard FileManager.default.fileExists(atPath: storePath) else { return 0 }
        return try database().read { db in
            guard try db.tableExists("companies") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM companies") ?? 0
        }
    }

    func revisionCount() throws -> Int {
        try database().read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM revisions") ?? 0 }
    }

    /// Every row of every table as text, for before/after comparisons.
    func storeDump() throws -> String {
        try database().read { db in
            var out = ""
            for table in ["companies", "smtp_servers", "smtp_pools", "mailgun_settings", "secrets", "revisions", "revision_changes"] {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2") { out += "\(table): \(row)\n" }
            }
            return out
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }
}

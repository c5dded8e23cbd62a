import Foundation
import GRDB
import Testing

/// A child `mailform apply` of 10,000 companies killed with SIGKILL at several
/// moments leaves the store whole: before or after, never between.
@Suite(.serialized)
struct DurabilityTests {
    static let companies = 10_000

    @Test func killedApplyLeavesStoreBeforeOrAfter() throws {
        let ws = try ExampleWorkspace(generated: Self.companies)
        // The key must exist up front, so "before" is an empty store with the same key.
        try #require(try ws.run(["plan", "companies/batch/000"]).exitCode == 0)
        var outcomes: [String] = []
        // Timed kills, then kills while the write transaction is under way
        // (the WAL file grows only inside it), at growing depths.
        let moments: [KillMoment] = [.after(0.3), .after(1.0), .walBytes(1 << 16), .walBytes(1 << 20), .walBytes(4 << 20), .after(2.0)]
        for moment in moments {
            let process = Process()
            process.executableURL = CommandRunner.binary
            process.arguments = ["apply", "companies", "--auto-approve", "--no-probe", "--no-probe"]
            process.currentDirectoryURL = ws.root
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            switch moment {
            case .after(let seconds):
                Thread.sleep(forTimeInterval: seconds)
            case .walBytes(let bytes):
                let deadline = Date().addingTimeInterval(60)
                while process.isRunning, Date() < deadline {
                    let size = (try? FileManager.default.attributesOfItem(atPath: ws.storePath + "-wal")[.size] as? Int) ?? 0
                    if size >= bytes { break }
                    usleep(2_000)
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let killed = process.terminationReason == .uncaughtSignal
            let count = try ws.companyCount()
            if FileManager.default.fileExists(atPath: ws.storePath) {
                let check = try ws.database().read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
                #expect(check == "ok")
            }
            #expect(count == 0 || count == Self.companies, "store half-written: \(count) companies after a kill at \(moment)")
            outcomes.append("\(moment):\(killed ? "killed" : "finished"):\(count)")
            if count == Self.companies { break }
        }
        print("kill trials: \(outcomes.joined(separator: " "))")
        let finish = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--no-probe"])
        #expect(finish.exitCode == 0, "\(finish.stderr)")
        #expect(try ws.companyCount() == Self.companies)
        #expect(try ws.run(["plan", "companies", "--detailed-exitcode"]).exitCode == 0)
    }
}

enum KillMoment: CustomStringConvertible {
    case after(Double)
    case walBytes(Int)

    var description: String {
        switch self {
        case .after(let s): "after \(s)s"
        case .walBytes(let b): "wal>=\(b / 1024)KiB"
        }
    }
}

/// export writes files that plan back to "no changes".
@Suite(.serialized)
struct ExportTests {
    @Test func examplesRoundTrip() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let export = try ws.run(["export", "--out", "exported", "--secrets-out", "exported.env"])
        #expect(export.exitCode == 0, "\(export.stderr)")
        #expect(export.stdout.contains("Exported 6 companies"))
        let mode = try FileManager.default.attributesOfItem(atPath: ws.path("exported.env"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let environment = try Self.dotenv(ws.path("exported.env"))
        #expect(environment.keys.contains("MAILFORM_ACME_SMTP_PASSWORD"))
        #expect(environment["MAILFORM_ACME_SMTP_PASSWORD"] == (try ws.read("secrets/acme-smtp.txt")).trimmingCharacters(in: .newlines))
        let validate = try ws.run(["validate", "exported"])
        #expect(validate.exitCode == 0, "\(validate.stdout)")
        let plan = try ws.run(["plan", "exported", "--detailed-exitcode"], environment: environment)
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("Plan: 0 to add, 0 to change, 0 to delete; 6 unchanged."))
    }

    @Test func thousandGeneratedCompaniesRoundTrip() throws {
        let ws = try ExampleWorkspace(generated: 1000)
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let export = try ws.run(["export", "--out", "exported", "--secrets-out", "exported.env"])
        #expect(export.exitCode == 0)
        let plan = try ws.run(["plan", "exported", "--detailed-exitcode"], environment: try Self.dotenv(ws.path("exported.env")))
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("; 1000 unchanged."))
    }

    @Test func exportWithoutSecretsOutWritesNoValues() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        #expect(try ws.run(["export", "--out", "exported"]).exitCode == 0)
        let files = FileManager.default.enumerator(atPath: ws.path("exported"))!.allObjects.compactMap { $0 as? String }
        let secrets = try SecretScan.exampleSecrets(in: ws)
        for file in files where file.hasSuffix(".yaml") {
            let text = try ws.read("exported/" + file)
            for secret in secrets { #expect(!text.contains(secret), "\(file) holds a secret value") }
        }
    }

    /// Parses `NAME='value'` lines written by export.
    static func dotenv(_ path: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = String(line[line.index(after: eq)...])
            value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "'\\''", with: "'")
            result[String(line[..<eq])] = value
        }
        return result
    }
}

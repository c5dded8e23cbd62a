import Foundation
import GRDB
import MailformCore
import Testing

/// A child `mailform apply` of 10,000 companies killed with SIGKILL at several
/// moments leaves the store whole: before or after, never between.
///
/// Each kill records where it landed, from the markers apply prints with
/// `MAILFORM_PROGRESS_MARKERS=1` (`transaction-begin` once the write
/// transaction holds the lock, `transaction-end` after the last write, before
/// the commit). The test fails unless at least one kill landed inside the
/// transaction: a trial that only ever hits loading proves nothing.
@Suite(.serialized)
struct DurabilityTests {
    static let companies = 10_000

    @Test func killedApplyLeavesStoreBeforeOrAfter() throws {
        let ws = try ExampleWorkspace(generated: Self.companies)
        var outcomes: [String] = []
        var landedInside = 0
        // One kill before the transaction, then kills at growing delays after it began.
        let moments: [KillMoment] = [.after(0.2), .inTransaction(0), .inTransaction(0.05), .inTransaction(0.2), .inTransaction(0.5)]
        for moment in moments {
            let (process, markers, pipe) = try ApplyChild.start(in: ws, output: FileHandle.nullDevice)
            switch moment {
            case .after(let seconds):
                Thread.sleep(forTimeInterval: seconds)
            case .inTransaction(let delay):
                let deadline = Date().addingTimeInterval(120)
                while process.isRunning, Date() < deadline, !markers.contains("transaction-begin") { usleep(1_000) }
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
            let killed = process.terminationReason == .uncaughtSignal
            let landing = !killed ? "finished" : !markers.contains("transaction-begin") ? "before-transaction"
                : markers.contains("transaction-end") ? "before-commit" : "inside-transaction"
            if landing == "inside-transaction" { landedInside += 1 }
            let count = try ws.companyCount()
            if FileManager.default.fileExists(atPath: ws.storePath) {
                let check = try ws.database().read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
                #expect(check == "ok")
            }
            #expect(count == 0 || count == Self.companies, "store half-written: \(count) companies after a kill at \(moment) (\(landing))")
            // A kill inside the transaction must leave the store as it was.
            if landing == "inside-transaction" || landing == "before-transaction" { #expect(count == 0) }
            outcomes.append("\(moment):\(landing):\(count)")
            if count == Self.companies { break }
        }
        print("kill trials: \(outcomes.joined(separator: " "))")
        #expect(landedInside >= 1, "no kill landed inside the write transaction: \(outcomes)")
        let finish = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(finish.exitCode == 0, "\(finish.stderr)")
        #expect(try ws.companyCount() == Self.companies)
        #expect(try ws.run(["plan", "companies", "--detailed-exitcode"]).exitCode == 0)
    }
}

extension DurabilityTests {
    /// An apply without a question or a probe writes while it makes the
    /// plan's text and prints the text on a thread of its own. Its output is
    /// a pipe nobody reads (the text stops at the pipe's buffer): the apply
    /// still commits and lets go of the store, so another apply can take the
    /// write lock at once; once the text is read, it is whole, and the
    /// revision holds the digest of exactly that text.
    @Test func aBlockedOutputHoldsNoLock() throws {
        let ws = try ExampleWorkspace(generated: 2_000)
        let output = Pipe()
        let (process, markers, errors) = try ApplyChild.start(in: ws, output: output)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline, !markers.contains("transaction-end") { usleep(1_000) }
        #expect(markers.contains("transaction-end"), "the apply did not commit while its output was blocked")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(process.isRunning, "the plan's text (over a megabyte) cannot all be in the pipe")
        #expect(try ws.companyCount() == 2_000)
        // The write lock is free: a writer gets it without waiting.
        var config = Configuration()
        config.busyMode = .immediateError
        let other = try DatabaseQueue(path: ws.storePath, configuration: config)
        try other.inTransaction(.immediate) { _ in .rollback }
        try other.close()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errors.fileHandleForReading.readabilityHandler = nil
        #expect(process.terminationStatus == 0)
        // The plan's text ends with its summary line; the digest is of that text.
        let stdout = String(decoding: text, as: UTF8.self)
        let summary = try #require(stdout.range(of: "Plan: 2,000 to add, 0 to change, 0 to delete; 0 unchanged.\n"))
        #expect(stdout.hasPrefix("mailform will perform these actions:"))
        #expect(stdout[summary.upperBound...].contains("Apply complete: 2000 added"))
        let shown = Array(stdout[..<summary.upperBound].utf8)
        let recorded = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT plan_digest FROM revisions") }
        #expect(recorded == "sha256:" + Digest.sha256Hex(shown))
    }
}

extension DurabilityTests {
    /// Stopped by SIGTERM or SIGINT while it checks a saved plan's companies
    /// in its temporary folder, apply removes the folder and ends as the
    /// signal ends it; nothing is written.
    @Test(arguments: [SIGTERM, SIGINT]) func aStoppedSavedPlanCheckRemovesItsFolder(_ number: Int32) throws {
        let ws = try ExampleWorkspace(generated: 2_000).usingStoreKey()
        try #require(try ws.run(["plan", "companies", "--out", "plan.json"]).exitCode == 0)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-tmp-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = CommandRunner.binary
        process.arguments = ["apply", "plan.json", "--no-probe", "--create-store"]
        process.currentDirectoryURL = ws.root
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = scratch.path
        env["MAILFORM_DNS"] = "off"
        env["MAILFORM_STORE_KEY"] = ws.environment["MAILFORM_STORE_KEY"]
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the check has made its folder and is writing into it
        // (each company's files are removed once it is checked).
        let deadline = Date().addingTimeInterval(60)
        func foldersInScratch() -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []).count }
        while process.isRunning, Date() < deadline, foldersInScratch() < 1 { usleep(1_000) }
        usleep(20_000)
        try #require(process.isRunning, "the check ended before it could be stopped")
        kill(process.processIdentifier, number)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == number)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
        #expect(try ws.companyCount() == 0)
    }
}

/// `mailform apply companies --auto-approve --no-probe` as a child of the
/// test, with progress markers and the key file (not `MAILFORM_STORE_KEY`).
enum ApplyChild {
    /// The running child, its markers, and the pipe of its stderr (its
    /// handler is cleared by the caller once the child ended).
    static func start(in ws: ExampleWorkspace, output: Any) throws -> (Process, MarkerReader, Pipe) {
        let process = Process()
        process.executableURL = CommandRunner.binary
        process.arguments = ["apply", "companies", "--auto-approve", "--no-probe", "--create-store"]
        process.currentDirectoryURL = ws.root
        var env = ProcessInfo.processInfo.environment
        env["MAILFORM_PROGRESS_MARKERS"] = "1"
        env["MAILFORM_DNS"] = "off"
        env.removeValue(forKey: "MAILFORM_STORE_KEY")
        process.environment = env
        let markers = MarkerReader()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        errors.fileHandleForReading.readabilityHandler = { handle in markers.append(handle.availableData) }
        try process.run()
        return (process, markers, errors)
    }
}

/// Collects a child's stderr from the pipe's handler thread.
final class MarkerReader: @unchecked Sendable {
    private var text = ""
    private let lock = NSLock()
    func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }
    func contains(_ marker: String) -> Bool { lock.withLock { text.contains("mailform: progress: \(marker)") } }
}

enum KillMoment: CustomStringConvertible {
    case after(Double)
    case inTransaction(Double)

    var description: String {
        switch self {
        case .after(let s): "after \(s)s"
        case .inTransaction(let s): "transaction+\(s)s"
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
        #expect(export.stdout.contains("Exported 8 companies"))
        let mode = try FileManager.default.attributesOfItem(atPath: ws.path("exported.env"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let environment = try Self.dotenv(ws.path("exported.env"))
        #expect(environment.keys.contains("MAILFORM_ACME__SMTP_PASSWORD"))
        #expect(environment["MAILFORM_ACME__SMTP_PASSWORD"] == (try ws.read("secrets/acme-smtp.txt")).trimmingCharacters(in: .newlines))
        let validate = try ws.run(["validate", "exported"])
        #expect(validate.exitCode == 0, "\(validate.stdout)")
        let plan = try ws.run(["plan", "exported", "--detailed-exitcode"], environment: environment)
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("Plan: 0 to add, 0 to change, 0 to delete; 8 unchanged."))
    }

    @Test func thousandGeneratedCompaniesRoundTrip() throws {
        let ws = try ExampleWorkspace(generated: 1000)
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let export = try ws.run(["export", "--out", "exported", "--secrets-out", "exported.env"])
        #expect(export.exitCode == 0)
        let plan = try ws.run(["plan", "exported", "--detailed-exitcode"], environment: try Self.dotenv(ws.path("exported.env")))
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("; 1,000 unchanged."))
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
    /// The variables of a dotenv file as `set -a; . FILE` reads them (values
    /// may span lines: a service-account key is multi-line JSON).
    static func dotenv(_ path: String) throws -> [String: String] { try OAuth2Tests.dotenv(path) }

}

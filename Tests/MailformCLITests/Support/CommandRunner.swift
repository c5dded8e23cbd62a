import Foundation
import Testing

/// Runs the built `mailform` binary, as a user would, and captures its output.
struct CommandResult {
    var exitCode: Int32
    var stdout: String
    var stderr: String
}

enum CommandRunner {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The binary beside the test bundle (`.build/<triple>/debug/mailform`).
    static let binary: URL = {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("mailform"),
            Bundle.main.bundleURL.appendingPathComponent("mailform"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mailform"),
            packageRoot.appendingPathComponent(".build/debug/mailform"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    @discardableResult
    static func run(_ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:],
                    stdin: String? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // No DNS query leaves the machine unless a test starts its own server
        // and says so (MAILFORM_DNS unset or "on" with --dns-server).
        env["MAILFORM_DNS"] = "off"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a large output cannot block the child.
        let stdoutData = LockedData(), stderrData = LockedData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { stdoutData.set(out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.enter()
        DispatchQueue.global().async { stderrData.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.wait()
        process.waitUntilExit()
        return CommandResult(exitCode: process.terminationStatus,
                             stdout: String(decoding: stdoutData.get(), as: UTF8.self),
                             stderr: String(decoding: stderrData.get(), as: UTF8.self))
    }
}

final class LockedData: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Golden files: compares with the file, or writes it when RECORD_SNAPSHOTS=1
/// (and then fails, so every new baseline gets reviewed).
enum Snapshot {
    /// Store ids and change-set digests differ run by run (a new store has a
    /// new id, which the digest names): golden files hold placeholders.
    static func normalized(_ text: String) -> String {
        text.replacing(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, with: "<store-id>")
            .replacing(/cs1:[0-9a-f]{64}/, with: "cs1:<digest>")
    }

    static func assertMatches(_ raw: String, file: URL, sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = normalized(raw)
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? actual.write(to: file, atomically: true, encoding: .utf8)
            Issue.record("Recorded new baseline \(file.lastPathComponent)", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record("missing golden file \(file.path); run with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == expected, "output differs from \(file.lastPathComponent)", sourceLocation: sourceLocation)
    }
}

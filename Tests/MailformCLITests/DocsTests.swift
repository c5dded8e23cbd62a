import Foundation
import Testing

/// The documented walkthroughs run as written.
@Suite(.serialized)
struct DocsTests {
    /// The ```sh blocks of a markdown file, in order.
    static func shellBlocks(_ file: String) throws -> String {
        let text = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent(file), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```sh" { current = []; continue }
            if current != nil, line == "```" { blocks.append(current!.joined(separator: "\n")); current = nil; continue }
            current?.append(line)
        }
        return blocks.joined(separator: "\n")
    }

    @Test func bulkMigrationWalkthrough() throws {
        let script = try Self.shellBlocks("docs/bulk-migration.md")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-bulk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let process = Process()
        // Output goes to a file, not a pipe: the relay the walkthrough starts in
        // the background must not keep the test waiting for end of file.
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = CommandRunner.binary.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "")
        env["MAILFORM_REPO"] = CommandRunner.packageRoot.path
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "MAILFORM_STORE_KEY")
        process.environment = env
        let log = dir.appendingPathComponent("walkthrough.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        let output = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == 0, Comment(rawValue: output))
        #expect(output.contains("Plan: 0 to add, 500 to change, 0 to delete; 500 unchanged."), Comment(rawValue: output))
        #expect(output.contains("over safety.max_changed_percent 30%"))
        #expect(output.contains("refused"))
        #expect(output.contains("Apply complete: 0 added, 50 changed, 0 deleted (revision 2)."))
        #expect(output.contains("revision 11 "), Comment(rawValue: output))
    }
}

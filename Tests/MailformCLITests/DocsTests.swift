import Foundation
import JSONSchema
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
        env["MAILFORM_DNS"] = "off"  // no DNS query leaves the machine
        env.removeValue(forKey: "MAILFORM_STORE_KEY")
        process.environment = env
        let log = dir.appendingPathComponent("walkthrough.log")
        try #require(FileManager.default.createFile(atPath: log.path, contents: nil), "cannot create \(log.path)")
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
        // The last lines say where it stopped (the whole output runs to thousands).
        let ending = Comment(rawValue: "the walkthrough's last lines:\n" + output.split(separator: "\n", omittingEmptySubsequences: false).suffix(40)
            .map { $0.count > 300 ? $0.prefix(300) + "…" : $0 }.joined(separator: "\n"))
        #expect(process.terminationStatus == 0, ending)
        #expect(output.contains("Plan: 0 to add, 500 to change, 0 to delete; 500 unchanged."))
        #expect(output.contains("over safety.max_changed_percent 30%"))
        #expect(output.contains("127.0.0.1:19826  FAILED  connection to 127.0.0.1:19826 refused"))
        #expect(output.contains("Apply complete: 0 added, 50 changed, 0 deleted (store revision 2)."))
        #expect(output.contains("store revision 11 "))
        // The export's renamed references (about 1,600) are listed 50 at a time.
        #expect(output.contains(" more (--format json lists them all)"))
        #expect(output.components(separatedBy: ": reference ${file:").count - 1 <= 50 * 3, "the references after the export were listed whole")
    }

    /// Every property of the published schemas has a description, and the
    /// file reference shows it (regenerate with scripts/gen-reference.py).
    @Test(arguments: ["company", "workspace"])
    func fileReferenceCoversEverySchemaProperty(_ which: String) throws {
        let schemaText = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("schemas/\(which).schema.json"), encoding: .utf8)
        let schema = try JSONParser.parse(schemaText)
        let reference = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("docs/reference.md"), encoding: .utf8)
        var rows: [(String, String)] = []
        func resolve(_ node: JSONNode) -> JSONNode {
            guard let ref = node["$ref"]?.value.stringValue, ref.hasPrefix("#/") else { return node }
            var target = schema
            for part in ref.dropFirst(2).split(separator: "/") { target = target[String(part)] ?? target }
            return target
        }
        func walk(_ node: JSONNode, _ path: String) {
            let node = resolve(node)
            for member in node["properties"]?.value.members ?? [] {
                let child = resolve(member.value)
                let description = member.value["description"]?.value.stringValue ?? child["description"]?.value.stringValue ?? ""
                rows.append((path + member.key, description))
                walk(child, path + member.key + ".")
                if let items = child["items"], case .object = items.value { walk(items, path + member.key + "[].") }
                if let additional = child["additionalProperties"], case .object = additional.value { walk(additional, path + member.key + ".NAME.") }
            }
            for branch in node["anyOf"]?.value.elements ?? [] where branch["type"]?.value.stringValue == "object" { walk(branch, path) }
        }
        walk(schema, "")
        #expect(rows.count > 10)
        for (path, description) in rows {
            #expect(!description.isEmpty, "\(which) schema: '\(path)' has no description")
            #expect(reference.contains("| `\(path)` |") && reference.contains(description.replacingOccurrences(of: "|", with: "\\|")),
                    "docs/reference.md does not document '\(path)'; run scripts/gen-reference.py > docs/reference.md")
        }
    }

    /// A list shows what it may hold, not just "array".
    @Test func fileReferenceShowsListItemValues() throws {
        let reference = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("docs/reference.md"), encoding: .utf8)
        #expect(reference.contains("| `smtp_pools.NAME.use_for` | array of `login_codes` \\| `consent_proofs` \\| `request_protocols` \\| `dsar` \\| `notifications` |"))
        #expect(reference.contains("| `smtp.ssl_protocols` | array of `TLSv1` \\| `TLSv1.1` \\| `TLSv1.2` \\| `TLSv1.3` |"))
        // And the file is what the generator writes today.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [CommandRunner.packageRoot.appendingPathComponent("scripts/gen-reference.py").path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let generated = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(generated == reference, "docs/reference.md is stale; run scripts/gen-reference.py > docs/reference.md")
    }

    @Test func versionNamesTheCommit() throws {
        let result = try CommandRunner.run(["--version"])
        #expect(result.stdout.hasPrefix("0.1.0 (commit "))
    }
}

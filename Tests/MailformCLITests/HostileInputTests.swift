import Foundation
import Testing

/// A corpus of hostile or broken company and workspace files
/// (Fixtures/hostile): each gets a file:line:column error with a hint and
/// exit 1 from `apply`, without a crash, and nothing is written.
struct HostileInputTests {
    static let fixtures = CommandRunner.packageRoot.appendingPathComponent("Tests/MailformCLITests/Fixtures/hostile")

    static var companyCases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("companies").path)) ?? []).sorted()
    }

    static var workspaceCases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("workspaces").path)) ?? []).sorted()
    }

    static let validCompany = "company: fine\nsender:\n  email: a@fine.example.com\nprovider: platform\n"

    func check(_ result: CommandResult, file: String, ws: ExampleWorkspace, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.exitCode == 1, "exit \(result.exitCode): \(result.stderr)", sourceLocation: sourceLocation)
        let pattern = "\(NSRegularExpression.escapedPattern(for: file)):[0-9]+:[0-9]+: error: "
        #expect(result.stderr.range(of: pattern, options: .regularExpression) != nil, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains("  hint: "), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: ws.storePath), "a store was written", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("hunter2hunter2"), sourceLocation: sourceLocation)
    }

    @Test func corpusIsLargeEnough() {
        #expect(Self.companyCases.count + Self.workspaceCases.count >= 40)
    }

    @Test(arguments: companyCases)
    func hostileCompanyFile(_ name: String) throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\n")
        let bytes = try Data(contentsOf: Self.fixtures.appendingPathComponent("companies/\(name)"))
        try FileManager.default.createDirectory(atPath: ws.path("companies"), withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: ws.path("companies/\(name)")))
        let started = Date()
        let result = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        check(result, file: "companies/\(name)", ws: ws)
        #expect(Date().timeIntervalSince(started) < 5, "\(name) took too long")
    }

    @Test(arguments: workspaceCases)
    func hostileWorkspaceFile(_ name: String) throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", try String(contentsOf: Self.fixtures.appendingPathComponent("workspaces/\(name)"), encoding: .utf8))
        try ws.write("companies/fine.yaml", Self.validCompany)
        let result = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        check(result, file: "mailform.yaml", ws: ws)
    }

    @Test func oversizedFile() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\n")
        try ws.write("companies/huge.yaml", Self.validCompany + "name: \"" + String(repeating: "x", count: 1 << 20) + "\"\n")
        check(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]), file: "companies/huge.yaml", ws: ws)
    }
}

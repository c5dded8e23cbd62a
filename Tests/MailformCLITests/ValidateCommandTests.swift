import Foundation
import Testing

/// `mailform validate` run as a binary on fixture folders, compared with
/// golden stdout and exit codes.
struct ValidateCommandTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var exitCode: Int32
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "examples-clean", arguments: ["validate", "examples/"], exitCode: 0),
        Case(name: "on-premise-clean", arguments: ["validate", "examples/on-premise"], exitCode: 0),
        Case(name: "invalid-text", arguments: ["validate", "examples/invalid"], exitCode: 1),
        Case(name: "invalid-json", arguments: ["validate", "examples/invalid", "--format", "json"], exitCode: 1),
        Case(name: "invalid-github", arguments: ["validate", "examples/invalid", "--format", "github"], exitCode: 1),
        Case(name: "strict-warning", arguments: ["validate", "--strict", "Tests/MailformCLITests/Fixtures/validate/warning-only"], exitCode: 1),
        Case(name: "warning-only", arguments: ["validate", "Tests/MailformCLITests/Fixtures/validate/warning-only"], exitCode: 0),
        Case(name: "missing-path", arguments: ["validate", "does/not/exist"], exitCode: 1),
    ]

    @Test(arguments: cases)
    func golden(_ c: Case) throws {
        let result = try CommandRunner.run(c.arguments)
        #expect(result.exitCode == c.exitCode, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        let file = CommandRunner.packageRoot.appendingPathComponent("Tests/MailformCLITests/Fixtures/validate/golden/\(c.name).txt")
        Snapshot.assertMatches(result.stdout, file: file)
    }

    /// Every file of examples/invalid gets at least one file:line:column error with a hint.
    @Test func everyInvalidExampleIsReported() throws {
        let result = try CommandRunner.run(["validate", "examples/invalid", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let diagnostics = object["diagnostics"] as! [[String: Any]]
        let dir = CommandRunner.packageRoot.appendingPathComponent("examples/invalid/companies")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            // profile-typo.yaml's mistake is inherited: it is reported in the profile it extends.
            let reportedIn = name == "profile-typo.yaml" ? "profiles/broken.yaml" : name
            let hits = diagnostics.filter { ($0["file"] as? String)?.hasSuffix(reportedIn) == true && $0["severity"] as? String == "error" }
            #expect(!hits.isEmpty, "no error for \(name)")
            for hit in hits {
                #expect(hit["line"] is Int && hit["column"] is Int && hit["hint"] is String, "\(hit)")
            }
        }
    }

    @Test func schemaCommandPrintsTheShippedFiles() throws {
        for which in ["company", "workspace", "plan"] {
            let result = try CommandRunner.run(["schema", which])
            let file = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("schemas/\(which).schema.json"), encoding: .utf8)
            #expect(result.exitCode == 0)
            #expect(result.stdout == file)
        }
    }

    @Test func colourOnlyWhenAsked() throws {
        let result = try CommandRunner.run(["validate", "examples/invalid"])
        #expect(!result.stdout.contains("\u{1B}["))
    }
}

import Foundation
import Testing

/// Issue 11, "CLI consistency, tried as a new user would": every command
/// offers only the formats it has, takes -q, names its counters apart, says
/// "nothing was written" only when it could have written, and leaves a folder
/// as it found it when it only reads.
struct ConsistencyTests {
    static let golden = CommandRunner.packageRoot.appendingPathComponent("Tests/MailformCLITests/Fixtures/consistency/golden")

    static let commandFormats: [(command: String, formats: [String])] = [
        ("init", ["text", "json"]),
        ("validate", ["text", "json", "github"]),
        ("plan", ["text", "json", "markdown"]),
        ("apply", ["text", "json"]),
        ("probe", ["text", "json"]),
        ("export", ["text", "json"]),
        ("history", ["text", "json"]),
        ("schema", ["json"]),
    ]

    /// The arguments a command needs besides --format, so the format is the only problem.
    static func required(_ command: String) -> [String] {
        command == "export" ? ["--out", "exported"] : []
    }

    /// Help text with its line wrapping undone.
    static func flattened(_ help: String) -> String {
        help.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }

    // MARK: Formats and -q

    @Test(arguments: commandFormats.map(\.command))
    func helpListsOnlyTheCommandsFormatsAndQuiet(_ command: String) throws {
        let expected = try #require(Self.commandFormats.first { $0.command == command }).formats
        let help = try CommandRunner.run([command, "--help"])
        #expect(help.exitCode == 0)
        let text = Self.flattened(help.stdout)
        let match = try #require(text.firstMatch(of: /--format <format> .*?\(values: ([^;]+); default: (\w+)\)/),
                                 "no --format values in: \(text)")
        #expect(match.1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } == expected)
        #expect(match.2 == expected[0])
        #expect(text.contains("-q, --quiet"), "\(command) has no -q/--quiet")
    }

    @Test(arguments: commandFormats.map(\.command))
    func bashCompletionOffersOnlyTheCommandsFormats(_ command: String) throws {
        let expected = try #require(Self.commandFormats.first { $0.command == command }).formats
        let script = try CommandRunner.run(["--generate-completion-script", "bash"]).stdout
        let body = try #require(script.components(separatedBy: "\n_mailform_\(command)() {\n").dropFirst().first?
            .components(separatedBy: "\n}\n").first, "no completion function for \(command)")
        let lines = body.split(separator: "\n")
        let index = try #require(lines.firstIndex { $0.contains("'--format')") })
        let offered = lines[index + 1]
        for format in ["text", "json", "github", "markdown"] {
            #expect(offered.contains("'\(format)'") == expected.contains(format), "\(command): \(offered)")
        }
    }

    @Test(arguments: commandFormats.map(\.command))
    func unsupportedFormatIsAUsageError(_ command: String) throws {
        let supported = try #require(Self.commandFormats.first { $0.command == command }).formats
        let ws = try ExampleWorkspace(copying: [])
        for format in ["text", "json", "github", "markdown"] where !supported.contains(format) {
            let result = try ws.run([command] + Self.required(command) + ["--format", format])
            #expect(result.exitCode == 64, "\(command) --format \(format): exit \(result.exitCode) \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("The value '\(format)' is invalid for '--format <format>'"), "\(result.stderr)")
            for valid in supported { #expect(result.stderr.contains("'\(valid)'"), "\(result.stderr)") }
            #expect(result.stdout.isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: ws.root.path).isEmpty, "\(command) wrote files")
        }
    }

    @Test func historyAndSchemaTakeQuiet() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Renamed")
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let quiet = try ws.run(["history", "-q"])
        #expect(quiet.exitCode == 0, "\(quiet.stderr)")
        let lines = quiet.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(quiet.stdout)")
        #expect(lines.first?.hasPrefix("store revision 2  ") == true && lines.last?.hasPrefix("store revision 1  ") == true)
        let schema = try CommandRunner.run(["schema", "plan", "-q", "--format", "json"])
        #expect(schema.exitCode == 0)
        #expect(schema.stdout == (try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("schemas/plan.schema.json"), encoding: .utf8)))
    }

    // MARK: Store revision and company revision

    @Test func historyNamesTheStoreRevisionAndStalePlansTheCompanyRevision() throws {
        let ws = try ExampleWorkspace()
        let apply = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(apply.stdout.contains("(store revision 1)."))
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Reviewed")
        try #require(try ws.run(["plan", "companies", "--out", "reviewed.json"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Reviewed", "name: ACME Hotfix")
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let history = try ws.run(["history"])
        #expect(history.stdout.hasPrefix("store revision 2  "), "\(history.stdout)")
        #expect(history.stdout.contains("\n\nstore revision 1  "), "\(history.stdout)")
        let stale = try ws.run(["apply", "reviewed.json", "--no-probe"])
        #expect(stale.exitCode == 1)
        #expect(stale.stderr.contains("stale plan: company acme changed since the plan (company revision 1 -> 2); run plan again"),
                "\(stale.stderr)")
    }

    // MARK: "nothing was written" only where something could have been

    @Test func readOnlyCommandsDoNotSayNothingWasWritten() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\n")
        try ws.write("companies/broken.yaml", "company: broken\nsender:\n  email: a@broken.example.com\nprovider: smtp\n")
        let probe = try ws.run(["probe", "companies"])
        #expect(probe.exitCode == 1)
        Snapshot.assertMatches(probe.stderr, file: Self.golden.appendingPathComponent("probe-invalid.txt"))
        for command in [["plan", "companies"], ["history", "--workspace", "companies/broken.yaml"]] {
            let result = try ws.run(command)
            #expect(result.exitCode == 1)
            #expect(!result.stderr.contains("nothing was written"), "\(command): \(result.stderr)")
        }
        for command in [["apply", "companies", "--auto-approve"], ["plan", "companies", "--out", "plan.json"]] {
            let result = try ws.run(command)
            #expect(result.exitCode == 1)
            #expect(result.stderr.hasSuffix("1 file: 1 error, 0 warnings; nothing was written\n"), "\(command): \(result.stderr)")
        }
    }

    @Test func exitCode64IsDocumented() throws {
        let help = Self.flattened(try CommandRunner.run(["--help"]).stdout)
        #expect(help.contains("64 a usage error"), "\(help)")
        for doc in ["README.md", "docs/getting-started.md"] {
            let text = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent(doc), encoding: .utf8)
            #expect(text.contains("64"), "\(doc) does not document exit code 64")
            #expect(Self.flattened(text).contains("usage error"), "\(doc) does not say what exit code 64 means")
        }
        #expect(try CommandRunner.run(["validate", "--no-such-option"]).exitCode == 64)
    }

    // MARK: Read-only commands create nothing

    static let readOnlyCommands: [[String]] = [
        ["validate", "."], ["validate", ".", "--format", "json"], ["validate", ".", "--format", "github"],
        ["plan", "."], ["plan", ".", "--format", "json"], ["plan", ".", "--format", "markdown"], ["plan", ".", "--detailed-exitcode"],
        ["plan", ".", "--probe"],
        ["probe", "."], ["probe", ".", "--format", "json"],
        ["history"], ["history", "--format", "json"], ["history", "-q"],
        ["schema"], ["schema", "workspace"], ["schema", "plan", "--format", "json"],
    ]

    static func listing(_ root: URL) -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    /// A workspace whose one SMTP endpoint refuses at once (127.0.0.1:1).
    static func smallWorkspace() throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 2s\n")
        try ws.write("companies/a.yaml", "company: a\nsender:\n  email: a@a.example.com\nprovider: platform\n")
        try ws.write("companies/b.yaml", "company: b\nsender:\n  email: b@b.example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: 1\n  starttls: off\n")
        return ws
    }

    @Test func readOnlyCommandsCreateNoFileInAFreshWorkspace() throws {
        let ws = try Self.smallWorkspace()
        let before = Self.listing(ws.root)
        for command in Self.readOnlyCommands {
            let result = try ws.run(command)
            #expect(result.exitCode != 64, "\(command): \(result.stderr)")
            #expect(Self.listing(ws.root) == before, "\(command) created \(Set(Self.listing(ws.root)).subtracting(before).sorted())")
        }
    }

    @Test func readOnlyCommandsCreateNoFileBesideAStore() throws {
        let ws = try Self.smallWorkspace()
        // The key comes from the environment: nothing may write a key file either.
        let key = ["MAILFORM_STORE_KEY": Data(repeating: 7, count: 32).base64EncodedString()]
        try #require(try ws.run(["apply", ".", "--auto-approve", "--no-probe"], environment: key).exitCode == 0)
        let before = Self.listing(ws.root)
        #expect(before.contains("mailform.db") && !before.contains("mailform.db.key"), "\(before)")
        for command in Self.readOnlyCommands {
            let result = try ws.run(command, environment: key)
            #expect(result.exitCode != 64, "\(command): \(result.stderr)")
            #expect(Self.listing(ws.root) == before, "\(command) created \(Set(Self.listing(ws.root)).subtracting(before).sorted())")
        }
    }

    // MARK: export

    @Test func exportRefusesToOverwriteLocalEditsWithoutForce() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let first = try ws.run(["export", "--out", "exported", "--secrets-out", "tenants.env"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        Snapshot.assertMatches(first.stdout, file: Self.golden.appendingPathComponent("export-secrets-out.txt"))
        // Exporting the same store again changes nothing, so it needs no --force.
        #expect(try ws.run(["export", "--out", "exported"]).exitCode == 0)

        try ws.edit("exported/companies/acme.yaml", "name: ACME Privacy\n", "name: ACME Edited Locally\n")
        try ws.edit("exported/companies/globex.yaml", "company: globex\n", "company: globex  # a comment\n")
        let edited = [try ws.read("exported/companies/acme.yaml"), try ws.read("exported/companies/globex.yaml")]
        let dotenv = try ws.read("tenants.env")
        let refused = try ws.run(["export", "--out", "exported", "--secrets-out", "tenants.env"])
        #expect(refused.exitCode == 1)
        #expect(refused.stdout.isEmpty)
        Snapshot.assertMatches(refused.stderr, file: Self.golden.appendingPathComponent("export-refused.txt"))
        #expect([try ws.read("exported/companies/acme.yaml"), try ws.read("exported/companies/globex.yaml")] == edited)
        #expect(try ws.read("tenants.env") == dotenv)

        let forced = try ws.run(["export", "--out", "exported", "--force"])
        #expect(forced.exitCode == 0, "\(forced.stderr)")
        #expect(!(try ws.read("exported/companies/acme.yaml")).contains("Edited Locally"))
    }

    /// POSIX sh looks a `.` argument without a slash up in $PATH: the printed
    /// command must work when pasted into sh.
    @Test func exportPrintsADotCommandThatWorksInPOSIXSh() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let export = try ws.run(["export", "--out", "exported", "--secrets-out", "tenants.env"])
        let line = try #require(export.stdout.split(separator: "\n").first { $0.hasPrefix("Load them") })
        let command = try #require(line.split(separator: ": ", maxSplits: 1).last.map(String.init))
        #expect(command == "set -a; . ./tenants.env; set +a")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + "; printf %s \"$MAILFORM_ACME__SMTP_PASSWORD\""]
        process.currentDirectoryURL = ws.root
        process.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let value = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(value == (try ws.read("secrets/acme-smtp.txt")).trimmingCharacters(in: .newlines))
    }

    // MARK: Hints

    /// The hint's `${file:}` path is relative to the company file, so pasting
    /// it works from any folder.
    @Test func literalSecretHintWorksAsWrittenFromTheCompaniesFolder() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\n")
        try ws.write("secrets/README.md", "secret files\n")
        let company = """
            company: nimbus
            sender:
              email: no-reply@nimbus.example.com
            provider: smtp
            smtp:
              host: smtp.nimbus.example.com
              port: 587
              username: mailer@nimbus.example.com
              password: hunter2hunter2

            """
        try ws.write("companies/nimbus.yaml", company)
        let companies = ws.root.appendingPathComponent("companies")
        let result = try CommandRunner.run(["validate", "."], in: companies)
        #expect(result.exitCode == 1)
        Snapshot.assertMatches(result.stdout, file: Self.golden.appendingPathComponent("literal-secret.txt"))
        // Do what the hint says.
        let reference = try #require(result.stdout.firstMatch(of: /password: (\$\{file:[^}]+\})/)?.1)
        #expect(reference == "${file:../secrets/nimbus-smtp.txt}")
        try ws.write("secrets/nimbus-smtp.txt", "hunter2hunter2\n")
        try ws.write("companies/nimbus.yaml", company.replacingOccurrences(of: "hunter2hunter2", with: String(reference)))
        let fixed = try CommandRunner.run(["validate", "."], in: companies)
        #expect(fixed.exitCode == 0, "\(fixed.stdout)")
        let plan = try CommandRunner.run(["plan", "."], in: companies)
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
    }

    @Test func missingKeyHintsAreShort() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\n")
        try ws.write("companies/nimbus.yaml", """
            name: Nimbus
            dsar_sender: {}
            smtp_pools:
              relay: {}
            mailgun:
              region: europe

            """)
        let result = try ws.run(["validate", "companies"])
        #expect(result.exitCode == 1)
        Snapshot.assertMatches(result.stdout, file: Self.golden.appendingPathComponent("missing-keys.txt"))
    }

    // MARK: init

    @Test func initPrintsEachDefaultOnceAndKeepsTheSecretsFolderInGit() throws {
        let help = Self.flattened(try CommandRunner.run(["init", "--help"]).stdout)
        #expect(!help.contains("(default: .)"), "\(help)")
        #expect(help.components(separatedBy: "current folder").count - 1 == 1, "\(help)")
        #expect(help.contains("(values: saas, on-premise; default: saas)"))
        let ws = try ExampleWorkspace(copying: [])
        #expect(try ws.run(["init", "tenants", "-q"]).exitCode == 0)
        #expect(try ws.read("tenants/.gitignore").contains("!secrets/.gitkeep"))
        #expect(FileManager.default.fileExists(atPath: ws.path("tenants/secrets/.gitkeep")))
        #expect(try ws.run(["init", "other", "--mode", "cloud"]).exitCode == 64)
    }

    // MARK: make install

    /// `make install` builds release once: no `swift package generate-manual`
    /// (which rebuilt everything without the commit flag), and the man page
    /// comes from the release binary itself.
    @Test func makeInstallBuildsReleaseOnce() throws {
        let stub = FileManager.default.temporaryDirectory.appendingPathComponent("swift-stub-\(UUID().uuidString)")
        try "#!/bin/sh\ncase \"$*\" in *release*) echo /stub/release ;; *) echo /stub/debug ;; esac\n"
            .write(to: stub, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stub.path)
        defer { try? FileManager.default.removeItem(at: stub) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/make")
        process.arguments = ["-n", "install", "SWIFT=\(stub.path)", "PREFIX=/tmp/mailform-prefix"]
        process.currentDirectoryURL = CommandRunner.packageRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        let releaseBuilds = lines.filter { $0.contains("\(stub.path) build") && $0.contains("-c release") }
        #expect(releaseBuilds.count == 1, "\(releaseBuilds)")
        #expect(releaseBuilds.first?.contains("-DMAILFORM_COMMIT=") == true)
        #expect(!text.contains("package generate-manual"), "\(text)")
        #expect(lines.contains { $0.contains("/stub/debug/generate-manual /stub/release/mailform --output-directory") }, "\(text)")
        #expect(lines.contains { $0.contains("install -m 0755 /stub/release/mailform") })
    }
}

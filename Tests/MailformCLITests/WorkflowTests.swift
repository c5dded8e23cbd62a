import Foundation
import JSONSchema
import MailformCore
import Testing

/// The CI workflows and the pre-commit hook we ship: their `mailform`
/// commands, run as written on a workspace whose endpoints are the local test
/// servers, so the apply step probes for real.
@Suite(.serialized)
struct WorkflowTests {
    /// Every `run:` / `script:` line of a workflow that calls mailform.
    static func mailformCommands(_ file: String, steps: (JSONNode) -> [String]) throws -> [String] {
        let bytes = try Array(Data(contentsOf: CommandRunner.packageRoot.appendingPathComponent(file)))
        let tree = try YAMLLoader(source: 0).load(bytes).get()
        return steps(tree).flatMap { $0.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { $0.hasPrefix("mailform ") }
    }

    static func githubRuns(_ job: String) throws -> [String] {
        try mailformCommands("examples/ci/github-actions.yml") { tree in
            (tree["jobs"]?[job]?["steps"]?.value.elements ?? []).compactMap { $0["run"]?.value.stringValue }
        }
    }

    static func gitlabRuns(_ job: String) throws -> [String] {
        try mailformCommands("examples/ci/gitlab-ci.yml") { tree in
            (tree[job]?["script"]?.value.elements ?? []).compactMap { $0.value.stringValue }
        }
    }

    func tenants(_ servers: TestServers) throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("tenants/mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n  ca_file: \(servers.smtp.ca_file)\n")
        try ws.write("tenants/secrets/smtp.txt", servers.smtp.password + "\n")
        try ws.write("tenants/secrets/mailgun.txt", servers.mailgun.key + "\n")
        try ws.write("tenants/companies/acme.yaml", ProbeTests.smtpCompany("acme", port: servers.port("starttls_auth"), settings: "starttls: required")
            .replacingOccurrences(of: "good.txt", with: "smtp.txt"))
        try ws.write("tenants/companies/initech.yaml", ProbeTests.mailgunCompany("initech", domain: "mg.us.example.test", region: "us"))
        try ws.write("tenants/companies/hooli.yaml", "company: hooli\nsender:\n  email: a@hooli.example.test\nprovider: platform\n")
        return ws
    }

    /// - Parameter clean: `env` is the whole environment (a pull-request job's), not additions to this process's.
    func shell(_ command: String, in ws: ExampleWorkspace, env: [String: String], clean: Bool = false) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command.replacingOccurrences(of: "${{ github.actor }}", with: "ci-test")]
        process.currentDirectoryURL = ws.root
        var environment = clean ? env : ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        environment["PATH"] = CommandRunner.binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "")
        environment["NO_COLOR"] = "1"
        environment["GITLAB_USER_LOGIN"] = "ci-test"
        environment["MAILFORM_DNS"] = "off"  // no DNS query leaves the machine
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }

    func environment(_ servers: TestServers, _ ws: ExampleWorkspace) -> [String: String] {
        servers.environment.merging([
            "MAILFORM_STORE": ws.path("platform.db"),
            "MAILFORM_STORE_KEY": Data(repeating: 42, count: 32).base64EncodedString(),
        ]) { a, _ in a }
    }

    /// What a pull-request job holds: the machine's environment without any
    /// MAILFORM_ variable (no store, no key, no secret), plus the test
    /// servers' endpoints (not secrets) and the runner's folder.
    func pullRequestEnvironment(_ servers: TestServers, _ ws: ExampleWorkspace) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAILFORM_") }
        for (k, v) in servers.environment where k.hasPrefix("MAILFORM_MAILGUN_") || k.hasPrefix("MAILFORM_OAUTH_") { env[k] = v }
        env["RUNNER_TEMP"] = ws.root.path
        env["MAILFORM_DNS"] = "off"
        return env
    }

    /// The shipped workflows, command by command: the trusted side snapshots
    /// the store (none yet: the snapshot of no store), the pull-request job
    /// validates and plans against the snapshot with no secret, no key and no
    /// store (and creates none), the apply after merge applies exactly the
    /// reviewed change set and snapshots again; a change set that is not the
    /// reviewed one writes nothing.
    @Test(arguments: ["github", "gitlab"])
    func workflowCommandsRunAsWritten(_ ci: String) throws {
        let servers = try TestServers.get()
        let ws = try tenants(servers)
        var trusted = environment(servers, ws)
        trusted["RUNNER_TEMP"] = ws.root.path
        let pr = pullRequestEnvironment(servers, ws)
        let runs = { (job: String) throws -> [String] in ci == "github" ? try Self.githubRuns(job) : try Self.gitlabRuns(job) }
        let snapshot = try runs("snapshot")
        let validate = ci == "github" ? try Self.githubRuns("plan").filter { $0.contains("validate") } : try Self.gitlabRuns("validate")
        let plan = ci == "github" ? try Self.githubRuns("plan").filter { $0.contains(" plan ") } : try Self.gitlabRuns("plan")
        let apply = try runs("apply")
        #expect(!snapshot.isEmpty && !validate.isEmpty && !plan.isEmpty && !apply.isEmpty, "\(snapshot) \(validate) \(plan) \(apply)")
        #expect(plan.allSatisfy { $0.contains("--snapshot") && !$0.contains("--send-credentials") && !$0.contains("--out ") })
        #expect(apply.contains { $0.contains("--reviewed") })

        // The trusted side, before any store exists.
        for command in snapshot {
            let result = try shell(command, in: ws, env: trusted)
            #expect(result.exitCode == 0, "\(command): \(result.stdout) \(result.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: ws.path("snapshot.json")))
        #expect(!FileManager.default.fileExists(atPath: ws.path("platform.db")), "a snapshot creates no store")

        // The pull request: nothing of the platform is held, nothing is created.
        for command in validate + plan {
            let result = try shell(command, in: ws, env: pr, clean: true)
            #expect(result.exitCode == 0, "\(command): \(result.stdout) \(result.stderr)")
        }
        let markdown = try ws.read("plan.md")
        #expect(markdown.contains("**Plan: 3 to add, 0 to change, 0 to delete; 0 unchanged.**"), "\(markdown)")
        #expect(markdown.contains("no secret read"))
        let reviewed = try ws.read("change-set.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(reviewed.hasPrefix("cs1:") && markdown.contains(reviewed))
        #expect(!FileManager.default.fileExists(atPath: ws.path("platform.db")) && !FileManager.default.fileExists(atPath: ws.path("platform.db.key")))
        #expect(!markdown.contains(servers.smtp.password) && !markdown.contains(servers.mailgun.key))

        // After merge: a change set other than the reviewed one writes nothing.
        try ws.edit("tenants/companies/hooli.yaml", "provider: platform", "name: Hooli XYZ\nprovider: platform")
        for command in apply where command.contains("--reviewed") {
            let refused = try shell(command, in: ws, env: trusted)
            #expect(refused.exitCode == 1, "\(command): \(refused.stdout)")
            #expect(refused.stderr.contains("the change set to apply is not the reviewed one; nothing was written"), "\(refused.stderr)")
            #expect(refused.stderr.contains("reviewed: \(reviewed)"))
        }
        #expect(!FileManager.default.fileExists(atPath: ws.path("platform.db")) || (try? ws.revisionCount()) ?? 0 == 0)
        try ws.edit("tenants/companies/hooli.yaml", "name: Hooli XYZ\nprovider: platform", "provider: platform")

        // The reviewed change set applies, and the trusted side snapshots again.
        for command in apply + (ci == "gitlab" ? snapshot : []) {
            let result = try shell(command, in: ws, env: trusted)
            #expect(result.exitCode == 0, "\(command): \(result.stdout) \(result.stderr)")
        }
        let history = try shell("mailform history --format json", in: ws, env: trusted)
        #expect(history.stdout.contains("\"actor\" : \"ci-test\""))
        // The plan of the merged files is now empty, against the store and against the new snapshot.
        let again = try shell("mailform plan tenants --detailed-exitcode", in: ws, env: trusted)
        #expect(again.exitCode == 0, "\(again.stdout)")
        let snapshotPlan = try shell("mailform plan tenants --snapshot snapshot.json --detailed-exitcode", in: ws, env: pr, clean: true)
        #expect(snapshotPlan.exitCode == 0, "\(snapshotPlan.stdout)\(snapshotPlan.stderr)")
        #expect(servers.forbiddenCommands.isEmpty)
    }

    @Test func githubValidateAnnotatesTheChangedLines() throws {
        let servers = try TestServers.get()
        let ws = try tenants(servers)
        try ws.edit("tenants/companies/hooli.yaml", "provider: platform", "provider: plataform")
        let command = try #require(try Self.githubRuns("plan").first { $0.contains("validate") })
        let result = try shell(command, in: ws, env: environment(servers, ws))
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("::error file=tenants/companies/hooli.yaml,line=4,col=11,title=mailform::'plataform' is not a valid provider"))
    }

    @Test func preCommitHookRunsItsEntry() throws {
        // The hook file is a YAML list (mailform's loader takes mappings only): read its two fields.
        let text = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent(".pre-commit-hooks.yaml"), encoding: .utf8)
        let entry = try #require(text.split(separator: "\n").first { $0.hasPrefix("  entry: ") }).dropFirst("  entry: ".count)
        let args = try #require(text.split(separator: "\n").first { $0.hasPrefix("  args: ") })
        #expect(entry == "mailform validate")
        #expect(args == "  args: [\".\"]")
        let servers = try TestServers.get()
        let ws = try tenants(servers)
        let clean = try shell("cd tenants && \(entry) .", in: ws, env: [:])
        #expect(clean.exitCode == 0, "\(clean.stdout)")
        try ws.edit("tenants/companies/hooli.yaml", "provider: platform", "provider: platform\nunknown_key: 1")
        let dirty = try shell("cd tenants && \(entry) .", in: ws, env: [:])
        #expect(dirty.exitCode == 1)
        #expect(dirty.stdout.contains("companies/hooli.yaml:5:1: error: unknown key 'unknown_key' in the top level"))
    }
}

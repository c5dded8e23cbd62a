import Foundation
import Testing

/// Regressions of issue 10 ("fail closed"), through the binary: each input
/// below once passed, vanished or crashed the process.
@Suite(.serialized)
struct FailClosedTests {
    static func workspace(_ company: String, mailform: String = "mode: saas\n") throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", mailform)
        try ws.write("companies/x.yaml", company)
        return ws
    }

    static let base = "company: x\nsender:\n  email: a@x.example.com\n"

    /// `api_key: "${env:MAILFORM_X}\n"` once validated clean (ICU's `$` matched
    /// before the newline), then plan added the company and silently dropped
    /// its whole mailgun section.
    @Test(arguments: ["\\n", "\\r", "\\r\\n", "\\u2028"])
    func secretReferenceWithALineEndIsRefusedNotDropped(_ ending: String) throws {
        let ws = try Self.workspace(Self.base + "provider: mailgun\nmailgun:\n  domain: mg.x.example.com\n  api_key: \"${env:MAILFORM_X__MAILGUN_KEY}\(ending)\"\n")
        let validate = try ws.run(["validate", "companies"])
        #expect(validate.exitCode == 1, "\(validate.stdout)")
        #expect(validate.stdout.contains("companies/x.yaml:7:"), "\(validate.stdout)")
        let plan = try ws.run(["plan", "companies"], environment: ["MAILFORM_X__MAILGUN_KEY": "k"])
        #expect(plan.exitCode == 1)
        #expect(!plan.stdout.contains("provider"))
    }

    /// An id with a line end once passed `^[a-z0-9][a-z0-9-]*$`.
    @Test(arguments: ["r0\\r", "r0\\n", "r0\\u000b", "r0\\u000c", "r0\\u0085", "r0\\u2029"])
    func companyIDWithALineEndIsRefused(_ id: String) throws {
        let ws = try Self.workspace("company: \"\(id)\"\nsender:\n  email: a@x.example.com\nprovider: platform\n")
        let validate = try ws.run(["validate", "companies"])
        #expect(validate.exitCode == 1, "\(id): \(validate.stdout)")
        #expect(validate.stdout.contains("companies/x.yaml:1:10: error: company id"), "\(validate.stdout)")
    }

    /// YAML 1.2 core: `0x+24B`, `0o+1113` and `0x-1` are strings, not 587 / -1;
    /// an overflowing hex number is out of range, not "not a string".
    @Test(arguments: [("0x+24B", "must be an integer"), ("0o+1113", "must be an integer"), ("0x-1", "must be an integer"),
                      ("0xFFFFFFFFFFFFFFFFFFFF", "above the maximum")])
    func yaml12CoreIntegers(_ port: String, _ message: String) throws {
        let ws = try Self.workspace(Self.base + "provider: platform\nsmtp:\n  host: smtp.x.example.com\n  port: \(port)\n", mailform: "mode: on-premise\n")
        let validate = try ws.run(["validate", "companies"])
        #expect(validate.exitCode == 1)
        #expect(validate.stdout.contains("companies/x.yaml:7:9:") && validate.stdout.contains(message), "\(port): \(validate.stdout)")
    }

    /// `probe.timeout: 99999999999999999s` once overflowed and killed the
    /// process with SIGILL, even under validate; `--timeout=-5s` was accepted.
    /// A reader that stops reading (`| head`) ends the run as SIGPIPE does,
    /// also when the parent ignores SIGPIPE (some CI runners): it crashed
    /// with a backtrace (exit 132) after an apply had committed.
    @Test func aClosedOutputEndsTheRunWithoutACrash() throws {
        let ws = try ExampleWorkspace(generated: 2_000)
        // The apply last: its JSON is printed after its commit, and a plan of
        // an applied store has little to print.
        for command in ["plan companies", "plan --format json companies", "apply --auto-approve --no-probe --create-store --format json companies"] {
            let script = "trap '' PIPE; \"$0\" \(command) 2>err.txt | head -c 10 > /dev/null; echo ${PIPESTATUS[0]}"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-c", script, CommandRunner.binary.path]
            process.currentDirectoryURL = ws.root
            var env = ProcessInfo.processInfo.environment
            env["MAILFORM_DNS"] = "off"
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let status = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let errors = try ws.read("err.txt")
            #expect(status.trimmingCharacters(in: .whitespacesAndNewlines) == "141", "\(command): exit \(status) \(errors)")
            #expect(!errors.contains("Fatal error") && !errors.contains("Stack dump"), "\(command): \(errors)")
        }
    }

    @Test func absurdTimeoutsAreErrorsNotCrashes() throws {
        let ws = try Self.workspace(Self.base + "provider: platform\n", mailform: "probe:\n  timeout: 99999999999999999s\n")
        let validate = try ws.run(["validate", "companies"])
        #expect(validate.exitCode == 1, "\(validate.stderr)")
        #expect(validate.stdout.contains("mailform.yaml:2:12:"), "\(validate.stdout)")
        try ws.write("mailform.yaml", "mode: saas\n")
        for flag in ["--timeout=-5s", "--timeout=99999999999999999s", "--timeout=0s", "--timeout=61m"] {
            let probe = try ws.run(["probe", "companies", flag])
            #expect(probe.exitCode == 64, "\(flag): \(probe.stderr)")
            #expect(probe.stderr.contains("--timeout"), "\(flag): \(probe.stderr)")
        }
    }

    /// An ignored smtp section reading `${env:GITHUB_TOKEN}` once validated
    /// clean and failed only at plan: validate reports everything plan refuses.
    @Test func validateChecksTheFencesOfSectionsTheProviderIgnores() throws {
        let ws = try Self.workspace(Self.base + "provider: platform\nsmtp:\n  host: smtp.x.example.com\n  username: u\n  password: ${env:GITHUB_TOKEN}\n",
                                    mailform: "mode: on-premise\n")
        let validate = try ws.run(["validate", "companies"])
        #expect(validate.exitCode == 1)
        #expect(validate.stdout.contains("companies/x.yaml:8:13: error: secret reference ${env:GITHUB_TOKEN}"), "\(validate.stdout)")
        #expect(validate.stdout.contains("[secret-env-fence]"))
    }
}

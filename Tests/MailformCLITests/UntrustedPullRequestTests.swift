import Foundation
import GRDB
import MailformCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The attacks of the "untrusted pull requests" issue, each replayed against
/// the built binary on real files and real SQLite stores. A pull request
/// controls company files (names, contents, symbolic links), profiles,
/// mailform.yaml and CI artifacts such as a saved plan; it must not be able
/// to read the store key or a CI secret, send one to a server, rewrite what
/// `apply` writes, hide changes from the reviewer, inject CI log commands, or
/// stall the loader.
///
/// Each test states which behaviour of HEAD~1 it catches: 7549f23, the commit
/// before 4725a98 added these defences.
@Suite(.serialized)
struct UntrustedPullRequestTests {
    // MARK: Helpers

    /// A folder outside every workspace (where CI keeps the trusted copy of
    /// mailform.yaml, or an attacker's link target), removed afterwards.
    final class OutsideFolder: @unchecked Sendable {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-outside-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        func write(_ name: String, _ text: String) throws { try text.write(toFile: path(name), atomically: true, encoding: .utf8) }
        deinit { try? FileManager.default.removeItem(at: root) }
    }

    /// A sparse file of `size` bytes: it costs no disk, but reading it whole costs `size` bytes of memory.
    static func makeSparseFile(_ path: String, size: Int) throws {
        try #require(FileManager.default.createFile(atPath: path, contents: nil))
        try #require(Glibc.truncate(path, off_t(size)) == 0, "truncate \(path): \(String(cString: strerror(errno)))")
    }

    /// Runs a command and measures its wall-clock time.
    static func timed(_ ws: ExampleWorkspace, _ arguments: [String], environment: [String: String] = [:]) throws -> (CommandResult, TimeInterval) {
        let started = Date()
        let result = try ws.run(arguments, environment: environment)
        return (result, Date().timeIntervalSince(started))
    }

    /// Runs the binary under `timeout`, so a command that blocks (on a FIFO) ends with 124 instead of hanging the suite.
    static func runBounded(_ arguments: [String], in ws: ExampleWorkspace, seconds: Int) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", String(seconds), CommandRunner.binary.path] + arguments
        process.currentDirectoryURL = ws.root
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["MAILFORM_DNS"] = "off"  // no DNS query leaves the machine
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdoutData = LockedData(), stderrData = LockedData()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { stdoutData.set(out.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.enter()
        DispatchQueue.global().async { stderrData.set(err.fileHandleForReading.readDataToEndOfFile()); group.leave() }
        group.wait()
        process.waitUntilExit()
        return CommandResult(exitCode: process.terminationStatus, stdout: String(decoding: stdoutData.get(), as: UTF8.self),
                             stderr: String(decoding: stderrData.get(), as: UTF8.self))
    }

    /// The permission bits of a file (without following a final link).
    static func mode(_ path: String) throws -> mode_t {
        var info = stat()
        try #require(lstat(path, &info) == 0, "lstat \(path): \(String(cString: strerror(errno)))")
        return info.st_mode & 0o777
    }

    /// Lines as a terminal or a CI log splits them: at LF and at CR.
    static func logLines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    }

    /// An SMTP company on a local endpoint (`starttls: off`: the recording listener speaks plain SMTP).
    static func smtpCompany(_ id: String, port: Int, password: String, host: String = "127.0.0.1", extra: String = "") -> String {
        """
        company: \(id)
        sender:
          email: no-reply@\(id).example.com
        provider: smtp
        smtp:
          host: \(host)
          port: \(port)
          username: mailer@\(id).example.com
          password: \(password)
          starttls: off
        \(extra)
        """
    }

    /// An empty workspace in on-premise mode (plain SMTP on any port is allowed), with the default secret fences.
    static func onPremiseWorkspace(extra: String = "") throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 2s\n" + extra)
        return ws
    }

    /// Markdown split into the text outside fenced code blocks and the blocks
    /// themselves, following CommonMark: a block closes at a line of only
    /// backticks (up to 3 leading spaces) at least as long as its opening fence.
    static func markdownParts(_ text: String) -> (outside: String, blocks: [(fence: Int, body: [String])]) {
        let lines = text.components(separatedBy: "\n")
        func fenceLength(_ line: String) -> Int? {
            let trimmed = line.drop { $0 == " " }
            guard line.count - trimmed.count <= 3 else { return nil }
            let stripped = trimmed.trimmingCharacters(in: .whitespaces)
            return stripped.count >= 3 && stripped.allSatisfy({ $0 == "`" }) ? stripped.count : nil
        }
        var outside: [String] = []
        var blocks: [(fence: Int, body: [String])] = []
        var i = 0
        while i < lines.count {
            guard let open = fenceLength(lines[i]) else {
                outside.append(lines[i])
                i += 1
                continue
            }
            var body: [String] = []
            var j = i + 1
            while j < lines.count, (fenceLength(lines[j]) ?? 0) < open {
                body.append(lines[j])
                j += 1
            }
            blocks.append((open, body))
            i = j + 1
        }
        return (outside.joined(separator: "\n"), blocks)
    }

    static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0, current = 0
        for c in text {
            if c == "`" { current += 1; longest = max(longest, current) } else { current = 0 }
        }
        return longest
    }

    static func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// A command run on a background thread, for looking at files while it runs.
    final class Background: @unchecked Sendable {
        private let lock = NSLock()
        private var outcome: Result<CommandResult, Error>?
        private let finished = DispatchSemaphore(value: 0)

        init(_ ws: ExampleWorkspace, _ arguments: [String], environment: [String: String]) {
            let thread = Thread { [self] in
                let result = Result { try ws.run(arguments, environment: environment) }
                lock.withLock { outcome = result }
                finished.signal()
            }
            thread.start()
        }

        func wait(seconds: Double) throws -> CommandResult {
            try #require(finished.wait(timeout: .now() + seconds) == .success, "the command did not end within \(seconds) s")
            return try #require(lock.withLock { outcome }).get()
        }
    }

    // MARK: 1. Symbolic links and sparse files as company files

    /// `companies/leak.yaml -> ../mailform.db.key`, a link to a file outside
    /// the workspace, and links to 2 GB sparse files outside and inside it.
    ///
    /// HEAD~1 followed links: leak.yaml was read and parsed as YAML (the key
    /// in memory, a schema error instead of a `[workspace-files]` refusal),
    /// outside.yaml was read (its unknown key reported), and the size limit
    /// was taken from `attributesOfItem` on the link itself, so the 2 GB
    /// target of `companies/big.yaml` was read whole: slow, and no located
    /// size error.
    @Test func symlinkedCompanyFileCannotReadTheStoreKeyOutsideFilesOrSparseFiles() throws {
        let ws = try ExampleWorkspace()
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        try #require(applied.exitCode == 0, "\(applied.stderr)")
        let key = try ws.read("mailform.db.key").trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(Data(base64Encoded: key)?.count == 32)

        let outside = try OutsideFolder()
        try outside.write("outside.yaml", "company: canary\ntoken: CANARY-OUTSIDE-7f3a\n")
        try Self.makeSparseFile(outside.path("sparse.yaml"), size: 2 << 30)
        try Self.makeSparseFile(ws.path("big.yaml"), size: 2 << 30)
        let links = [
            "companies/leak.yaml": "../mailform.db.key",
            "companies/outside.yaml": outside.path("outside.yaml"),
            "companies/sparse-outside.yaml": outside.path("sparse.yaml"),
            "companies/big.yaml": "../big.yaml",
        ]
        for (link, target) in links {
            try FileManager.default.createSymbolicLink(atPath: ws.path(link), withDestinationPath: target)
        }

        // Text.
        let (text, textSeconds) = try Self.timed(ws, ["validate", "companies"])
        #expect(text.exitCode == 1, "\(text.stdout)")
        #expect(textSeconds < 5, "validate took \(textSeconds) s on a 2 GB sparse file")
        #expect(text.stdout.contains("companies/leak.yaml:1:1: error: file is the store or its key [workspace-files]"), "\(text.stdout)")
        #expect(text.stdout.contains("companies/outside.yaml:1:1: error: file lies outside the workspace (after resolving symbolic links) [workspace-files]"))
        #expect(text.stdout.contains("companies/sparse-outside.yaml:1:1: error: file lies outside the workspace (after resolving symbolic links) [workspace-files]"))
        #expect(text.stdout.contains("companies/big.yaml:1:1: error: file is 2147483648 bytes, over the 1 MiB limit"), "\(text.stdout)")
        #expect(text.stdout.contains(": 4 errors, 0 warnings"), "\(text.stdout)")

        // GitHub annotations.
        let (github, githubSeconds) = try Self.timed(ws, ["validate", "companies", "--format", "github"])
        #expect(github.exitCode == 1)
        #expect(githubSeconds < 5, "validate --format github took \(githubSeconds) s")
        #expect(github.stdout.contains("::error file=companies/leak.yaml,line=1,col=1,title=mailform [workspace-files]::file is the store or its key"),
                "\(github.stdout)")
        #expect(github.stdout.contains("::error file=companies/outside.yaml,line=1,col=1,title=mailform [workspace-files]::file lies outside the workspace"))
        #expect(github.stdout.contains("::error file=companies/sparse-outside.yaml,line=1,col=1,title=mailform [workspace-files]::file lies outside the workspace"))
        #expect(github.stdout.contains("::error file=companies/big.yaml,line=1,col=1,title=mailform::file is 2147483648 bytes, over the 1 MiB limit"))

        for result in [text, github] {
            let all = result.stdout + result.stderr
            #expect(!all.contains(key), "the store key leaked")
            #expect(!all.contains(String(key.prefix(12))), "part of the store key leaked")
            #expect(!all.contains("CANARY"), "the outside file was read")
            #expect(!all.contains("Fatal error"))
        }
        // The rejected files changed nothing in the store.
        #expect(try ws.companyCount() == 8)
    }

    // MARK: 2. plan --probe and known hosts

    /// After an apply, a pull request edits only a company's password
    /// reference (the store key, another tenant's variable, a new value of its
    /// own variable) or only its port: `plan --probe` must never send that
    /// secret, since the endpoint does not already hold it.
    ///
    /// HEAD~1 allowed `${env:MAILFORM_*}` to every company (so the store key
    /// and `MAILFORM_OTHER__...` resolved) and sent credentials to any host the
    /// store already had for the company, whatever the port or password: the
    /// listener saw AUTH with the store key, the other tenant's password, the
    /// new password, and on the second port.
    @Test func planProbeSendsNoFencedOrNewSecretToAKnownHost() throws {
        let first = try RecordingListener()
        let second = try RecordingListener()
        defer { first.stop(); second.stop() }
        let ws = try Self.onPremiseWorkspace()
        try ws.write("companies/acme.yaml", Self.smtpCompany("acme", port: first.port, password: "${env:MAILFORM_ACME__SMTP_PASSWORD}"))
        try ws.write("companies/other.yaml", Self.smtpCompany("other", port: first.port, password: "${env:MAILFORM_OTHER__SMTP_PASSWORD}"))
        let env = ["MAILFORM_ACME__SMTP_PASSWORD": "acme-secret-1-Qx7", "MAILFORM_OTHER__SMTP_PASSWORD": "other-secret-1-Zr4"]

        // apply (after review) probes with credentials: the listener accepts them.
        let applied = try ws.run(["apply", "companies", "--auto-approve"], environment: env)
        try #require(applied.exitCode == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(first.sawAuth, "apply's probe authenticates: \(first.received)")
        let key = try ws.read("mailform.db.key").trimmingCharacters(in: .whitespacesAndNewlines)
        let stored = try ws.storeDump()

        // The store key: fenced whatever secrets.env says.
        first.clear()
        try ws.edit("companies/acme.yaml", "${env:MAILFORM_ACME__SMTP_PASSWORD}", "${env:MAILFORM_STORE_KEY}")
        var keyEnv = env
        keyEnv["MAILFORM_STORE_KEY"] = key
        let storeKey = try ws.run(["plan", "companies", "--probe"], environment: keyEnv)
        #expect(storeKey.exitCode == 1, "\(storeKey.stdout)")
        #expect(storeKey.stderr.contains("companies/acme.yaml:9:13: error: secret reference ${env:MAILFORM_STORE_KEY} reads the store's key or location, which no reference may read [secret-env-fence]"),
                "\(storeKey.stderr)")
        #expect(!(storeKey.stdout + storeKey.stderr).contains(key))
        #expect(first.connections == 0 && first.received.isEmpty, "probed: \(first.received)")

        // Another company's variable: the {company} fence.
        try ws.edit("companies/acme.yaml", "${env:MAILFORM_STORE_KEY}", "${env:MAILFORM_OTHER__SMTP_PASSWORD}")
        let borrowed = try ws.run(["plan", "companies", "--probe"], environment: env)
        #expect(borrowed.exitCode == 1, "\(borrowed.stdout)")
        #expect(borrowed.stderr.contains("companies/acme.yaml:9:13: error: secret reference ${env:MAILFORM_OTHER__SMTP_PASSWORD} reads a variable outside the secrets.env fence [secret-env-fence]"),
                "\(borrowed.stderr)")
        #expect(borrowed.stderr.contains("(for this company: MAILFORM_ACME__...)"))
        #expect(!(borrowed.stdout + borrowed.stderr).contains(env["MAILFORM_OTHER__SMTP_PASSWORD"]!))
        #expect(first.connections == 0 && first.received.isEmpty, "probed: \(first.received)")

        // Its own variable with a new value: the endpoint does not hold it; connect and EHLO, no AUTH.
        try ws.edit("companies/acme.yaml", "${env:MAILFORM_OTHER__SMTP_PASSWORD}", "${env:MAILFORM_ACME__SMTP_PASSWORD}")
        var rotated = env
        rotated["MAILFORM_ACME__SMTP_PASSWORD"] = "acme-secret-2-Lm9"
        let newValue = try ws.run(["plan", "companies", "--probe"], environment: rotated)
        #expect(newValue.exitCode == 0, "\(newValue.stdout)\(newValue.stderr)")
        #expect(newValue.stdout.contains("~ smtp.password: (sensitive value changed; same reference ${env:MAILFORM_ACME__SMTP_PASSWORD})"), "\(newValue.stdout)")
        #expect(newValue.stdout.contains("AUTH not attempted"), "\(newValue.stdout)")
        #expect(first.received.contains("EHLO"), "the probe did not connect: \(first.received)")
        #expect(!first.sawAuth, "credentials sent to the known host: \(first.received)")
        for form in SecretScan.forms(of: "acme-secret-2-Lm9") { #expect(!first.received.contains(form)) }

        // Only the port changes, to another endpoint: no AUTH there either.
        first.clear()
        try ws.edit("companies/acme.yaml", "port: \(first.port)", "port: \(second.port)")
        let moved = try ws.run(["plan", "companies", "--probe"], environment: env)
        #expect(moved.exitCode == 0, "\(moved.stdout)\(moved.stderr)")
        #expect(moved.stdout.contains("~ smtp.port: \(first.port) -> \(second.port)"), "\(moved.stdout)")
        #expect(moved.stdout.contains("AUTH not attempted"), "\(moved.stdout)")
        #expect(second.received.contains("EHLO"), "the probe did not connect: \(second.received)")
        #expect(!second.sawAuth, "credentials sent to a new port: \(second.received)")
        #expect(first.connections == 0)

        // The operator's --send-credentials does send them: the listener would have seen AUTH.
        second.clear()
        let trusted = try ws.run(["plan", "companies", "--probe", "--send-credentials"], environment: env)
        #expect(trusted.exitCode == 0, "\(trusted.stdout)\(trusted.stderr)")
        #expect(trusted.stdout.contains(", auth "), "\(trusted.stdout)")
        #expect(second.sawAuth, "\(second.received)")
        #expect(!trusted.stdout.contains(env["MAILFORM_ACME__SMTP_PASSWORD"]!))
        // No plan wrote to the store.
        #expect(try ws.storeDump() == stored)
    }

    // MARK: 3. The plan comment

    /// A display name that closes the comment's code block or opens HTML
    /// must not hide the smtp.host change from the reviewer.
    ///
    /// HEAD~1 accepted control characters in names (the `\r```\r<!--` name
    /// validated), fenced every block with exactly three backticks (a
    /// value's ``` run closes it) and put the name into `<summary>` with `@`
    /// unescaped (a live mention).
    @Test func planCommentCannotHideChanges() throws {
        let ws = try Self.onPremiseWorkspace()
        let relay = """
            company: acme
            name: ACME Ltda
            sender:
              email: privacy@acme.example.com
              name: ACME Privacy
            provider: smtp
            smtp:
              host: relay.acme.example.com
              port: 25
              starttls: optional

            """
        try ws.write("companies/acme.yaml", relay)
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        try #require(applied.exitCode == 0, "\(applied.stderr)")
        let stored = try ws.storeDump()

        // Carriage returns in a display name are refused outright.
        try ws.edit("companies/acme.yaml", "  name: ACME Privacy", "  name: \"ACME Privacy Team\\r```\\r<!--\"")
        let control = try ws.run(["validate", "companies"])
        #expect(control.exitCode == 1, "\(control.stdout)")
        #expect(control.stdout.contains("companies/acme.yaml:5:9: error: the display name must not hold control characters"), "\(control.stdout)")
        let refusedPlan = try ws.run(["plan", "companies", "--format", "markdown"])
        #expect(refusedPlan.exitCode == 1)
        #expect(refusedPlan.stdout.isEmpty, "\(refusedPlan.stdout)")

        // A name the schema accepts, with backticks, HTML and a mention, beside a host change.
        let hostile = "a ``` <!-- <img src=x> @admin </details>"
        try ws.write("companies/acme.yaml", relay
            .replacingOccurrences(of: "name: ACME Ltda", with: "name: \"\(hostile)\"")
            .replacingOccurrences(of: "  name: ACME Privacy", with: "  name: \"\(hostile)\"")
            .replacingOccurrences(of: "host: relay.acme.example.com", with: "host: relay2.acme.example.com"))
        let plan = try ws.run(["plan", "companies", "--format", "markdown"])
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        let hostLine = "~ smtp.host: \"relay.acme.example.com\" -> \"relay2.acme.example.com\""
        let (outside, blocks) = Self.markdownParts(plan.stdout)
        #expect(!blocks.isEmpty, "\(plan.stdout)")
        for block in blocks {
            let longest = block.body.map(Self.longestBacktickRun).max() ?? 0
            #expect(block.fence > longest, "a fence of \(block.fence) backticks around a run of \(longest):\n\(plan.stdout)")
        }
        #expect(blocks.contains { $0.body.contains(hostLine) }, "the host change is not inside a code block:\n\(plan.stdout)")
        #expect(blocks.contains { $0.body.contains { $0.hasPrefix("~ sender.name: ") } })
        // Outside the code blocks, the value is inert: escaped HTML, no mention, no comment, no early </details>.
        #expect(!outside.contains("<img"), "\(outside)")
        #expect(!outside.contains("<!--"), "\(outside)")
        #expect(!outside.contains("@admin"), "\(outside)")
        #expect(Self.occurrences(of: "</details>", in: outside) == Self.occurrences(of: "<details>", in: outside), "\(outside)")
        #expect(Self.occurrences(of: "<details>", in: outside) == 1)
        #expect(outside.contains("&lt;!-- &lt;img src=x&gt; &#64;admin &lt;/details&gt;"), "\(outside)")
        #expect(outside.contains("<code>~ acme</code>") && outside.contains("(3 fields)"), "\(outside)")
        // Planning wrote nothing.
        #expect(try ws.storeDump() == stored)
        #expect(try ws.database().read { db in try String.fetchOne(db, sql: "SELECT host FROM smtp_servers") } == "relay.acme.example.com")
    }

    // MARK: 4. Log injection

    /// A company file name that holds GitHub workflow commands, an ssl_trust
    /// entry with an escape sequence, and a server banner with OSC/BEL/CR.
    ///
    /// HEAD~1 printed file names as they are (the newline started a
    /// `::error file=README.md` and an `::add-mask::` line in the CI log),
    /// accepted control characters in ssl_trust, and printed the server's
    /// reply raw in `--trace` (ESC and BEL reached the terminal).
    @Test func logInjectionThroughFileNamesValuesAndServerReplies() throws {
        let ws = try Self.onPremiseWorkspace()
        let hostileName = "x\n::error file=README.md,line=1::pwned\n::add-mask::ACME\rz.yaml"
        try FileManager.default.createDirectory(atPath: ws.path("companies"), withIntermediateDirectories: true)
        try #require(FileManager.default.createFile(atPath: ws.path("companies/" + hostileName), contents: Data("company: x\n".utf8)))

        let text = try ws.run(["validate", "companies"])
        #expect(text.exitCode == 1, "\(text.stdout)")
        for line in Self.logLines(text.stdout) + Self.logLines(text.stderr) {
            #expect(!line.hasPrefix("::"), "a log command line: \(line)")
        }
        let escaped = "companies/x\\n::error file=README.md,line=1::pwned\\n::add-mask::ACME\\rz.yaml:1:1: error: missing required key 'sender'"
        #expect(text.stdout.contains(escaped), "\(text.stdout)")

        let github = try ws.run(["validate", "companies", "--format", "github"])
        #expect(github.exitCode == 1)
        let commands = Self.logLines(github.stdout).filter { $0.hasPrefix("::") }
        #expect(commands.count == 2, "\(github.stdout)")
        for line in commands {
            #expect(line.hasPrefix("::error file=companies/x\\n%3A%3Aerror file=README.md%2Cline=1%3A%3Apwned\\n%3A%3Aadd-mask%3A%3AACME\\rz.yaml,line=1,col=1,"),
                    "\(line)")
        }
        #expect(!github.stdout.contains("::add-mask") && !github.stdout.contains("::error file=README.md"))

        // An escape sequence in an ssl_trust entry.
        try ws.remove("companies/" + hostileName)
        try ws.write("companies/trust.yaml", """
            company: trust
            sender:
              email: a@trust.example.com
            provider: smtp
            smtp:
              host: relay.trust.example.com
              port: 25
              starttls: optional
              ssl_trust: ["\\e[2K"]

            """)
        let trust = try ws.run(["validate", "companies"])
        #expect(trust.exitCode == 1, "\(trust.stdout)")
        #expect(trust.stdout.contains("companies/trust.yaml:9:15: error: an ssl_trust entry is one host name: no spaces"), "\(trust.stdout)")
        #expect(!(trust.stdout + trust.stdout).contains("\u{1b}"))
        try ws.remove("companies/trust.yaml")

        // A hostile banner in the probe's trace.
        let listener = try RecordingListener(banner: "220 \u{1b}]0;pwned\u{07}\rrec\u{1b}[2K ESMTP\r\n")
        defer { listener.stop() }
        try ws.write("companies/hostile.yaml", Self.smtpCompany("hostile", port: listener.port, password: "${env:MAILFORM_HOSTILE__SMTP_PASSWORD}"))
        let probe = try ws.run(["probe", "--trace", "--send-credentials", "companies"], environment: ["MAILFORM_HOSTILE__SMTP_PASSWORD": "hostile-pw-Tq2"])
        #expect(probe.exitCode == 0, "\(probe.stdout)\(probe.stderr)")
        #expect(listener.sawAuth, "the probe did not get through: \(listener.received)")
        let all = probe.stdout + probe.stderr
        #expect(!all.utf8.contains(0x1B), "an ESC byte reached the output")
        #expect(!all.utf8.contains(0x07), "a BEL byte reached the output")
        #expect(!all.utf8.contains(0x0D), "a CR byte reached the output")
        #expect(probe.stdout.contains("< 220 \\x1b]0;pwned\\x07"), "\(probe.stdout)")
        #expect(probe.stdout.contains("rec\\x1b[2K ESMTP"), "\(probe.stdout)")
        #expect(!all.contains("hostile-pw-Tq2"))
    }

    // MARK: 5. Saved plans

    /// plan.json travels as a CI artifact: rewritten (with its unkeyed digest
    /// recomputed), signed with another key, or carrying settings the
    /// trusted workspace's policy refuses, it is not applied.
    ///
    /// HEAD~1 checked only a sha256 digest anyone can recompute (the
    /// rewritten plan was applied, and a refusal printed the expected
    /// digest), had no key in the plan (a plan made with another key was
    /// applied), and applied the plan's settings without validating them
    /// again (an on-premise plan went into a saas workspace); it had no
    /// --trusted-workspace.
    @Test func savedPlanCannotBeRewrittenResignedOrSmuggledPastPolicy() throws {
        let ws = try Self.onPremiseWorkspace()
        let company = """
            company: acme
            sender:
              email: privacy@acme.example.com
            provider: smtp
            smtp:
              host: relay.acme.example.com
              port: 25
              starttls: optional

            """
        try ws.write("companies/acme.yaml", company)
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "host: relay.acme.example.com", "host: relay2.acme.example.com")
        let made = try ws.run(["plan", "companies", "--out", "plan.json"])
        try #require(made.exitCode == 0, "\(made.stderr)")
        let original = try Data(contentsOf: URL(fileURLWithPath: ws.path("plan.json")))
        // The digest an attacker can recompute is the one plan wrote: over every line before the trailer.
        let originalText = String(decoding: original, as: UTF8.self)
        let body = SavedPlanFile.body(originalText)
        let digestOf = { (lines: [String]) -> String in "sha256:" + Digest.sha256Hex(Array(lines.map { $0 + "\n" }.joined().utf8)) }
        let trailer = try #require(try JSONSerialization.jsonObject(with: Data(originalText.split(separator: "\n").last!.utf8)) as? [String: Any])
        try #require(trailer["digest"] as? String == digestOf(body))
        try #require((trailer["mac"] as? String)?.hasPrefix("hmac-sha256:") == true)
        let before = try ws.storeDump()

        /// Rewrites the plan's first change, then recomputes the digest (the MAC needs the key).
        func rewritten(host: String?, company id: String?) throws -> Data {
            var header = try #require(try JSONSerialization.jsonObject(with: Data(body[0].utf8)) as? [String: Any])
            var change = try #require(try JSONSerialization.jsonObject(with: Data(body[1].utf8)) as? [String: Any])
            var desired = try #require(change["desired"] as? [String: Any])
            if let host {
                var smtp = try #require(desired["smtp"] as? [String: Any])
                smtp["host"] = host
                desired["smtp"] = smtp
                var fields = try #require(change["fields"] as? [[String: Any]])
                fields[0]["desired"] = "\"\(host)\""
                change["fields"] = fields
            }
            if let id {
                desired["company"] = id
                change["company"] = id
                header["base_revisions"] = [id: 1]
            }
            change["desired"] = desired
            func line(_ object: [String: Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            }
            let lines = [try line(header), try line(change)] + body.dropFirst(2)
            var forgedTrailer = trailer
            forgedTrailer["digest"] = digestOf(lines)
            return Data((lines.map { $0 + "\n" }.joined() + (try line(forgedTrailer)) + "\n").utf8)
        }

        func expectRefused(_ result: CommandResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
            #expect(result.exitCode == 1, "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains("its signature does not verify; nothing was written"), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(!(result.stdout + result.stderr).contains("sha256:"), "a digest or MAC was shown", sourceLocation: sourceLocation)
            #expect(!result.stdout.contains("Apply complete"), sourceLocation: sourceLocation)
            #expect(try ws.storeDump() == before, "the store changed", sourceLocation: sourceLocation)
        }

        // A rewritten host, digest recomputed.
        try rewritten(host: "evil.example.net", company: nil).write(to: URL(fileURLWithPath: ws.path("plan.json")))
        try expectRefused(try ws.run(["apply", "plan.json"]))
        // A company id that is a path.
        try rewritten(host: nil, company: "../../x").write(to: URL(fileURLWithPath: ws.path("plan.json")))
        try expectRefused(try ws.run(["apply", "plan.json"]))
        #expect(!FileManager.default.fileExists(atPath: ws.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("x").path))

        // A plan signed with another store key (the store holds no secrets, so any key opens it).
        let otherKey = Data((0..<32).map { UInt8(($0 * 37 + 11) & 0xFF) }).base64EncodedString()
        let foreign = try ws.run(["plan", "companies", "--out", "foreign.json"], environment: ["MAILFORM_STORE_KEY": otherKey])
        try #require(foreign.exitCode == 0, "\(foreign.stderr)")
        try expectRefused(try ws.run(["apply", "foreign.json"]))

        // The genuine plan, copied to another workspace with its own store and key.
        let copy = try Self.onPremiseWorkspace()
        try copy.write("companies/acme.yaml", company)
        try #require(try copy.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try copy.edit("companies/acme.yaml", "host: relay.acme.example.com", "host: relay2.acme.example.com")
        try original.write(to: URL(fileURLWithPath: copy.path("plan.json")))
        let copyBefore = try copy.storeDump()
        let copied = try copy.run(["apply", "plan.json"])
        #expect(copied.exitCode == 1, "\(copied.stdout)")
        #expect(copied.stderr.contains("its signature does not verify; nothing was written"), "\(copied.stderr)")
        #expect(try copy.storeDump() == copyBefore)

        // The untouched plan still applies: the refusals above were the tampering's.
        try original.write(to: URL(fileURLWithPath: ws.path("plan.json")))
        let genuine = try ws.run(["apply", "plan.json", "--no-probe", "--force"])
        #expect(genuine.exitCode == 0, "\(genuine.stderr)")
        #expect(genuine.stdout.contains("Apply complete: 0 added, 1 changed, 0 deleted"), "\(genuine.stdout)")
        #expect(try ws.database().read { db in try String.fetchOne(db, sql: "SELECT host FROM smtp_servers") } == "relay2.acme.example.com")

        // A validly signed plan whose settings the trusted (saas) workspace refuses.
        let onPremise = try Self.onPremiseWorkspace().usingStoreKey()
        try onPremise.write("companies/acme.yaml", company.replacingOccurrences(of: "starttls: optional", with: "starttls: off"))
        let saved = try onPremise.run(["plan", "companies", "--out", "plan.json"])
        try #require(saved.exitCode == 0, "\(saved.stderr)")
        let trusted = try OutsideFolder()
        try trusted.write("saas.yaml", "mode: saas\n")
        let policy = try onPremise.run(["apply", "plan.json", "--trusted-workspace", trusted.path("saas.yaml"), "--no-probe"])
        #expect(policy.exitCode == 1, "\(policy.stdout)\(policy.stderr)")
        #expect(policy.stderr.contains("plan.json (company acme):"), "\(policy.stderr)")
        #expect(policy.stderr.contains("error: port 25 is not accepted in saas mode: the platform never relays unauthenticated mail on port 25 [saas-smtp-port]"))
        #expect(policy.stderr.contains("[saas-smtp-tls]"))
        #expect(policy.stderr.contains("nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: onPremise.storePath), "a store was written")
        // The same without the flag, once mailform.yaml says saas: the plan is validated under the workspace at hand.
        try onPremise.write("mailform.yaml", "mode: saas\n")
        let switched = try onPremise.run(["apply", "plan.json", "--no-probe"])
        #expect(switched.exitCode == 1, "\(switched.stdout)\(switched.stderr)")
        #expect(switched.stderr.contains("plan.json (company acme):") && switched.stderr.contains("[saas-smtp-port]"), "\(switched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: onPremise.storePath), "a store was written")
    }

    /// A saved plan is read with memory in proportion to the file, not to
    /// the 1 GiB limit on plan files.
    ///
    /// Not a HEAD~1 behaviour (HEAD~1 read the plan with
    /// `FileManager.contents`, in proportion to its size): it guards the new
    /// bounded reader, whose buffer of `limit + 1` bytes is allocated and
    /// zeroed before reading, so `apply plan.json` of a 1 KB plan peaks at
    /// about 1 GB of RSS.
    @Test
    func savedPlanIsReadInMemoryProportionalToItsSize() throws {
        let ws = try Self.onPremiseWorkspace().usingStoreKey()
        try ws.write("companies/acme.yaml", "company: acme\nsender:\n  email: a@acme.example.com\nprovider: platform\n")
        let saved = try ws.run(["plan", "companies", "--out", "plan.json"])
        try #require(saved.exitCode == 0, "\(saved.stderr)")
        let planSize = try #require(try FileManager.default.attributesOfItem(atPath: ws.path("plan.json"))[.size] as? Int)
        try #require(planSize < 4096)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "__RSS_KB %M", CommandRunner.binary.path, "apply", "plan.json", "--no-probe", "--create-store"]
        process.currentDirectoryURL = ws.root
        process.environment = ProcessInfo.processInfo.environment.merging(ws.environment) { _, key in key }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stdout)\(stderr)")
        #expect(stdout.contains("Apply complete: 1 added, 0 changed, 0 deleted"), "\(stdout)")
        #expect(try ws.companyCount() == 1)
        let rss = stderr.split(separator: "\n").last { $0.hasPrefix("__RSS_KB ") }.flatMap { Int($0.dropFirst(9)) }
        #expect((rss ?? Int.max) < 200_000, "apply of a \(planSize)-byte plan peaked at \(rss ?? -1) KB")
    }

    // MARK: 6. Quadratic loading

    /// 100,000 keys, 100,000 list items, and profiles nobody extends: one
    /// over 1 MiB of invalid YAML, one a FIFO that blocks whoever opens it.
    ///
    /// HEAD~1 copied the open collection on every append and looked up
    /// duplicate keys linearly (quadratic: minutes for these files), and
    /// read every profile up front, blocking forever on the FIFO.
    /// A secret path through a link that points at itself, outside the
    /// workspace: the link check once followed it for ever (no hop limit).
    /// Now it stops where the kernel does (40 links) and the reference is
    /// refused with a located error. Bounded at 60 s so a hang fails the test.
    @Test func aSecretPathThroughALinkLoopEnds() throws {
        let ws = try ExampleWorkspace(copying: [])
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-loop-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: outside + "/loop", withDestinationPath: "loop")
        try ws.write("mailform.yaml", "mode: on-premise\n")
        try ws.write("companies/a.yaml", "company: a\nsender:\n  email: a@a.example.com\nprovider: smtp\nsmtp:\n  host: smtp.a.example.com\n  port: 587\n  username: u\n  password: ${file:\(outside)/loop/pw.txt}\n")
        let result = try Self.runBounded(["validate", "companies"], in: ws, seconds: 60)
        #expect(result.exitCode == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("companies/a.yaml:9:13: error:"), "\(result.stdout)")
    }

    /// From the fourth review: a profile and a company of 40,000 keys each
    /// were merged key against key (4 minutes in a debug build); the merge
    /// looks keys up. Bounded at 60 s so a quadratic merge fails the test.
    @Test func aLargeProfileAndCompanyMergeInLinearTime() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\nprofiles: ./profiles\n")
        var profile = "provider: platform\n", company = "company: big\nextends: wide\nsender:\n  email: a@big.example.com\n"
        for i in 0..<40_000 { profile += "p\(i): 1\n"; company += "c\(i): 1\n" }
        try ws.write("profiles/wide.yaml", profile)
        try ws.write("companies/big.yaml", company)
        let result = try Self.runBounded(["validate", "companies"], in: ws, seconds: 60)
        #expect(result.exitCode == 1, "\(result.stdout.suffix(500))")
        #expect(result.stdout.contains("profiles/wide.yaml:2:1: error: unknown key 'p0' in the top level"), "\(result.stdout.prefix(1000))")
        #expect(result.stdout.contains("companies/big.yaml:1:1: error: 79900 more problems in this file are not shown"), "\(result.stdout.prefix(1000))")
    }

    @Test func quadraticInputsLoadInLinearTimeAndUnusedProfilesAreNeverRead() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\nprofiles: ./profiles\n")
        let head = { (id: String) in "company: \(id)\nsender:\n  email: a@\(id).example.com\nprovider: platform\nname:\n" }
        var keys = head("keys")
        keys.reserveCapacity(1_000_000)
        for i in 0..<100_000 {
            let name = String(i, radix: 36)
            keys += " k" + String(repeating: "0", count: 4 - name.count) + name + ": 0\n"
        }
        try ws.write("companies/keys.yaml", keys)
        try ws.write("companies/list.yaml", head("list") + String(repeating: " - 0\n", count: 100_000))
        try #require(try FileManager.default.attributesOfItem(atPath: ws.path("companies/keys.yaml"))[.size] as? Int ?? Int.max < 1 << 20,
                     "the keys file must stay under the 1 MiB limit to reach the parser")
        try ws.write("companies/ok.yaml", "company: ok\nsender:\n  email: a@ok.example.com\nprovider: platform\n")
        try ws.write("profiles/unused.yaml", "key: [unclosed\n# " + String(repeating: "x", count: 1 << 20) + "\n")
        try #require(mkfifo(ws.path("profiles/fifo.yaml"), 0o644) == 0, "mkfifo: \(String(cString: strerror(errno)))")

        // Bounded at 60 s, so a quadratic loader fails the test instead of stalling the suite.
        let bigStarted = Date()
        let big = try Self.runBounded(["validate", "companies/keys.yaml", "companies/list.yaml"], in: ws, seconds: 60)
        let seconds = Date().timeIntervalSince(bigStarted)
        #expect(seconds < 15, "validate took \(seconds) s")
        #expect(big.exitCode == 1, "\(big.stdout)")
        #expect(big.stdout.contains("companies/keys.yaml:6:2: error: name must be a string"), "\(big.stdout.prefix(2000))")
        #expect(big.stdout.contains("companies/list.yaml:6:2: error: name must be a string"), "\(big.stdout.prefix(2000))")
        #expect(big.stdout.contains("2 files: 2 errors, 0 warnings"), "\(big.stdout.suffix(500))")

        let started = Date()
        let valid = try Self.runBounded(["validate", "companies/ok.yaml"], in: ws, seconds: 20)
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(valid.exitCode == 0, "exit \(valid.exitCode) (124/137: blocked on the FIFO profile): \(valid.stderr)")
        #expect(valid.stdout.contains("1 file: 0 errors, 0 warnings"), "\(valid.stdout)\(valid.stderr)")
        #expect(!(valid.stdout + valid.stderr).contains("profiles/"), "an unused profile was read: \(valid.stderr)")
    }

    // MARK: 7. Store files, secret size, trusted workspace

    /// The store's files are the owner's only; a `${file:}` secret is small;
    /// a pull request's own mailform.yaml (its proxy, `secrets.env: ["*"]`,
    /// a store of its own) does nothing under --trusted-workspace.
    ///
    /// HEAD~1 left the store's -wal and -shm files to the umask (0644 while
    /// a command runs), read secret files of any size, and had no
    /// --trusted-workspace: the pull request's mailform.yaml decided the
    /// store, the proxy and the env fence.
    @Test func storeFilesAreOwnerOnlySecretsAreSmallAndThePullRequestsWorkspaceFileIsIgnored() throws {
        let endpoint = try RecordingListener()
        let silent = try RecordingListener(banner: nil)
        let proxy = try RecordingListener()
        defer { endpoint.stop(); silent.stop(); proxy.stop() }
        let ws = try Self.onPremiseWorkspace()
        let base = try ws.read("mailform.yaml")
        let env = ["MAILFORM_ACME__SMTP_PASSWORD": "acme-secret-Vb8"]
        try ws.write("companies/acme.yaml", Self.smtpCompany("acme", port: endpoint.port, password: "${env:MAILFORM_ACME__SMTP_PASSWORD}"))

        // The first apply creates the store and the key: 0600.
        try #require(!FileManager.default.fileExists(atPath: ws.storePath))
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env)
        try #require(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try Self.mode(ws.storePath) == 0o600)
        #expect(try Self.mode(ws.storePath + ".key") == 0o600)
        for side in ["-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: ws.storePath + side) {
            #expect(try Self.mode(ws.storePath + side) == 0o600, "\(side)")
        }
        // While a command holds the store open (a probe waiting on a silent server), its -wal and -shm exist: 0600 too.
        try ws.edit("companies/acme.yaml", "port: \(endpoint.port)", "port: \(silent.port)")
        let waiting = Background(ws, ["plan", "companies", "--probe"], environment: env)
        let deadline = Date().addingTimeInterval(10)
        while silent.connections == 0 && Date() < deadline { usleep(20_000) }
        #expect(silent.connections == 1, "the probe never connected")
        for side in ["-wal", "-shm"] {
            #expect(FileManager.default.fileExists(atPath: ws.storePath + side), "\(side) is absent while the store is open")
            if FileManager.default.fileExists(atPath: ws.storePath + side) {
                #expect(try Self.mode(ws.storePath + side) == 0o600, "\(side)")
            }
        }
        let timedOut = try waiting.wait(seconds: 20)
        #expect(timedOut.exitCode == 3, "\(timedOut.stdout)\(timedOut.stderr)")
        #expect(timedOut.stdout.contains("timeout at banner"), "\(timedOut.stdout)")
        #expect(!silent.sawAuth)
        try ws.edit("companies/acme.yaml", "port: \(silent.port)", "port: \(endpoint.port)")

        // A secret file over 64 KiB.
        let big = String(repeating: "s", count: 70_000)
        try ws.write("secrets/big.txt", big)
        try ws.edit("companies/acme.yaml", "${env:MAILFORM_ACME__SMTP_PASSWORD}", "${file:../secrets/big.txt}")
        let oversized = try ws.run(["plan", "companies"], environment: env)
        #expect(oversized.exitCode == 1, "\(oversized.stdout)")
        #expect(oversized.stderr.contains("companies/acme.yaml:9:13: error: secret file '../secrets/big.txt' cannot be read: secrets/big.txt is 70000 bytes, over the 64 KiB limit [secret-unresolved]"),
                "\(oversized.stderr)")
        #expect(oversized.stderr.contains("under 64 KiB"), "\(oversized.stderr)")
        #expect(!(oversized.stdout + oversized.stderr).contains(String(big.prefix(64))))
        try ws.edit("companies/acme.yaml", "${file:../secrets/big.txt}", "${env:MAILFORM_ACME__SMTP_PASSWORD}")

        // A fake store the pull request points at: it also holds a company 'ghost'.
        try ws.write("companies/ghost.yaml", "company: ghost\nsender:\n  email: a@ghost.example.com\nprovider: platform\n")
        let fake = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--store", "fake.db"], environment: env)
        try #require(fake.exitCode == 0, "\(fake.stderr)")
        try ws.remove("companies/ghost.yaml")
        let trusted = try OutsideFolder()
        try trusted.write("base.yaml", base)
        try ws.write("mailform.yaml", """
            mode: on-premise
            store: ./fake.db
            probe:
              timeout: 2s
              proxy: socks5h://127.0.0.1:\(proxy.port)
            secrets:
              env: ["*"]

            """)

        // Under the trusted file: a warning, and the real store is planned against.
        let plan = try ws.run(["plan", "companies", "--trusted-workspace", trusted.path("base.yaml")], environment: env)
        #expect(plan.exitCode == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stderr.contains("mailform.yaml:1:1: warning: this workspace file differs from the trusted workspace file \(trusted.path("base.yaml")) in probe.proxy, secrets.env, store; its settings are ignored in this run [trusted-workspace]"),
                "\(plan.stderr)")
        // Reviewers see the changed trusted settings at the top of the plan.
        #expect(plan.stdout.hasPrefix("This pull request changes trusted settings of mailform.yaml (they take effect only after merge; this run used the trusted file's): probe.proxy, secrets.env, store"), "\(plan.stdout)")
        #expect(plan.stdout.contains("No changes. The store matches the files."), "\(plan.stdout)")
        #expect(!plan.stdout.contains("ghost"), "planned against the pull request's store: \(plan.stdout)")
        // MAILFORM_TRUSTED_WORKSPACE does the same.
        let viaEnv = try ws.run(["plan", "companies"], environment: env.merging(["MAILFORM_TRUSTED_WORKSPACE": trusted.path("base.yaml")]) { a, _ in a })
        #expect(viaEnv.exitCode == 0 && !viaEnv.stdout.contains("ghost"), "\(viaEnv.stdout)\(viaEnv.stderr)")
        // Without it, the pull request's settings rule: what the trusted file prevents.
        let untrusted = try ws.run(["plan", "companies"], environment: env)
        #expect(untrusted.stdout.contains("Unmanaged (in the store, in no file; left alone without --prune): ghost"), "\(untrusted.stdout)")

        // ${env:HOME}: the pull request's secrets.env ["*"] does not widen the trusted fence.
        let home = "/home/ci-runner-HOME-7c1d"
        try ws.edit("companies/acme.yaml", "${env:MAILFORM_ACME__SMTP_PASSWORD}", "${env:HOME}")
        var homeEnv = env
        homeEnv["HOME"] = home
        let homeRef = try ws.run(["plan", "companies", "--probe", "--trusted-workspace", trusted.path("base.yaml")], environment: homeEnv)
        #expect(homeRef.exitCode == 1, "\(homeRef.stdout)")
        #expect(homeRef.stderr.contains("companies/acme.yaml:9:13: error: secret reference ${env:HOME} reads a variable outside the secrets.env fence [secret-env-fence]"),
                "\(homeRef.stderr)")
        #expect(!(homeRef.stdout + homeRef.stderr).contains(home))
        #expect(endpoint.connections == 0 && proxy.connections == 0)
        try ws.edit("companies/acme.yaml", "${env:HOME}", "${env:MAILFORM_ACME__SMTP_PASSWORD}")

        // The pull request's proxy is not used: the probe goes straight to the endpoint.
        let second = try RecordingListener()
        defer { second.stop() }
        try ws.edit("companies/acme.yaml", "port: \(endpoint.port)", "port: \(second.port)")
        let probed = try ws.run(["plan", "companies", "--probe", "--trusted-workspace", trusted.path("base.yaml")], environment: env)
        #expect(probed.exitCode == 0, "\(probed.stdout)\(probed.stderr)")
        #expect(second.received.contains("EHLO"), "the probe did not reach the endpoint directly: \(second.received)")
        #expect(!second.sawAuth)
        #expect(proxy.connections == 0, "the probe went through the pull request's proxy: \(proxy.received)")
        // Without the trusted file, it would have gone through the proxy.
        _ = try ws.run(["plan", "companies", "--probe"], environment: env)
        #expect(proxy.connections >= 1, "control: the pull request's proxy is used without --trusted-workspace")

        // The stores themselves: the trusted one never held 'ghost', the pull request's does; plans wrote neither.
        func ids(_ path: String) throws -> [String] {
            var config = Configuration()
            config.readonly = true
            return try DatabaseQueue(path: path, configuration: config).read { db in try String.fetchAll(db, sql: "SELECT id FROM companies ORDER BY id") }
        }
        #expect(try ids(ws.storePath) == ["acme"])
        #expect(try ids(ws.path("fake.db")) == ["acme", "ghost"])
        #expect(try ws.database().read { db in try Int.fetchOne(db, sql: "SELECT port FROM smtp_servers") } == endpoint.port)
    }

    // MARK: Found by the hostile review after the first round of fixes

    /// The gate once keyed only host, port and TLS mode: a PR adding
    /// `ssl_trust: "*"` (or dropping the identity check, or switching the user)
    /// got the stored password sent to whoever answered — a man in the middle.
    @Test func weakerCertificateChecksOrAnotherUserGetNoStoredPassword() throws {
        let listener = try RecordingListener()
        defer { listener.stop() }
        let ws = try Self.onPremiseWorkspace()
        try ws.write("secrets/acme.txt", "acme-secret-AAAA\n")
        try ws.write("companies/acme.yaml", Self.smtpCompany("acme", port: listener.port, password: "${file:../secrets/acme.txt}"))
        let applied = try ws.run(["apply", "companies", "--auto-approve"])
        try #require(applied.exitCode == 0, "\(applied.stderr)")
        for (name, edit) in [("ssl_trust", ("starttls: off", "starttls: off\n  ssl_trust: \"*\"")),
                             ("ssl_check_identity", ("starttls: off", "starttls: off\n  ssl_check_identity: false")),
                             ("ssl_protocols", ("starttls: off", "starttls: off\n  ssl_protocols: [TLSv1, TLSv1.1, TLSv1.2, TLSv1.3]")),
                             ("username", ("username: mailer@acme.example.com", "username: other@acme.example.com"))] {
            try ws.write("companies/acme.yaml", Self.smtpCompany("acme", port: listener.port, password: "${file:../secrets/acme.txt}")
                .replacingOccurrences(of: edit.0, with: edit.1))
            listener.clear()
            let plan = try ws.run(["plan", "companies", "--probe"])
            #expect(plan.stdout.contains("AUTH not attempted"), "\(name): \(plan.stdout)")
            #expect(!listener.sawAuth, "\(name): the stored password went to an endpoint that checks less")
        }
    }

    /// A PR that deleted the workspace file once moved the root up to the
    /// checkout, so `${file:../../.git/config}` (the checkout token) passed the fence.
    @Test func deletingTheWorkspaceFileDoesNotMoveTheRoot() throws {
        let repo = try ExampleWorkspace(copying: [])
        try repo.write(".git/config", "[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0LXRva2Vu\n")
        try repo.write("trusted.yaml", "mode: on-premise\n")
        try repo.write("tenants/companies/acme.yaml", Self.smtpCompany("acme", port: 2525, password: "${file:../../.git/config}"))
        let env = ["MAILFORM_TRUSTED_WORKSPACE": repo.path("trusted.yaml")]
        let validate = try repo.run(["validate", "tenants"], environment: env)
        #expect(validate.exitCode == 1, "\(validate.stdout)")
        #expect(validate.stdout.contains("outside the workspace"), "\(validate.stdout)")
        #expect(validate.stdout.contains("no mailform.yaml in tenants"), "\(validate.stdout)")
        // Inside the workspace, a hidden path is out of reach too.
        try repo.write("tenants/.git/config", "token\n")
        try repo.write("tenants/companies/acme.yaml", Self.smtpCompany("acme", port: 2525, password: "${file:../.git/config}"))
        let hidden = try repo.run(["validate", "tenants"], environment: env)
        #expect(hidden.exitCode == 1)
        #expect(hidden.stdout.contains("hidden"), "\(hidden.stdout)")
        // A relative CA file in the trusted file would be read from the PR's checkout.
        try repo.write("trusted.yaml", "mode: on-premise\nprobe:\n  ca_file: certs/ca.pem\n")
        let ca = try repo.run(["validate", "tenants"], environment: env)
        #expect(ca.exitCode == 1)
        #expect(ca.stdout.contains("must be an absolute path"), "\(ca.stdout)")
    }

    /// `profiles/globex.yaml` once read `MAILFORM_GLOBEX__*` for any company extending it.
    @Test func aProfileNamedLikeACompanyCannotReadItsVariables() throws {
        let ws = try Self.onPremiseWorkspace()
        try ws.write("companies/globex.yaml", Self.smtpCompany("globex", port: 2526, password: "${env:MAILFORM_GLOBEX__SMTP_PASSWORD}"))
        try ws.write("profiles/globex.yaml", "smtp:\n  host: 127.0.0.1\n  port: 2527\n  username: u\n  starttls: off\n  password: ${env:MAILFORM_GLOBEX__SMTP_PASSWORD}\n")
        try ws.write("companies/acme.yaml", "company: acme\nextends: globex\nsender:\n  email: a@acme.example.com\nprovider: smtp\n")
        let validate = try ws.run(["validate", "companies", "--format", "github"])
        #expect(validate.exitCode == 1, "\(validate.stdout)")
        #expect(validate.stdout.contains("profile 'globex' is named like a company"), "\(validate.stdout)")
    }

    /// A server that quotes the AUTH PLAIN token back once had it printed
    /// (base64 of "\0user\0password") in the output, the log and the PR comment.
    @Test func anEchoedAuthTokenIsRedacted() throws {
        let listener = try RecordingListener(echoAuth: true)
        defer { listener.stop() }
        let ws = try Self.onPremiseWorkspace()
        try ws.write("secrets/acme.txt", "acme-secret-AAAA\n")
        try ws.write("companies/acme.yaml", Self.smtpCompany("acme", port: listener.port, password: "${file:../secrets/acme.txt}"))
        let token = Data("\0mailer@acme.example.com\0acme-secret-AAAA".utf8).base64EncodedString()
        let hex = Data("acme-secret-AAAA".utf8).map { String(format: "%02x", $0) }.joined()
        for format in ["text", "json"] {
            let probe = try ws.run(["probe", "--send-credentials", "companies", "--trace", "--format", format].filter { format == "text" || $0 != "--trace" })
            #expect(probe.exitCode == 3)
            // After AUTH, a reply keeps its codes only: the server's text could hold the secret in any encoding.
            #expect(probe.stdout.contains("535 5.7.8 (server text after the credentials not shown)"), "\(probe.stdout)")
            for form in [token, hex, "acme-secret-AAAA"] {
                #expect(!probe.stdout.contains(form) && !probe.stderr.contains(form), "an echoed form of the secret was printed: \(form)")
            }
        }
    }
}

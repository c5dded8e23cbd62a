import Foundation
import Testing
import TestServerSupport

/// The probe against a real Postfix 3.7 + Dovecot 2.3 SASL, started by the
/// test from Tests/Servers/mta/ (one smtpd per behaviour on 127.0.0.1 high
/// ports) and stopped by PID at the end. Postfix's own log is the witness:
/// no MAIL, RCPT or DATA; one connection per probe (two with the TLS version
/// diagnosis); QUIT in every session the connection allows (a failed TLS
/// handshake leaves nothing to say QUIT on, for every client).
@Suite(.serialized)
struct PostfixProbeTests {
    struct Instance: Decodable {
        var root: String
        var ca_file: String
        var log: String
        var ports: [String: Int]
        var user: String
        var password: String
    }

    struct Case {
        var name: String
        var service: String
        var settings: String
        var password: String = "good"
        /// nil: the probe passes.
        var failure: String? = nil
        var fragment: String = ""
        /// The line of the company file the hint must point at (its text).
        var hintLine: String? = nil
        var warning: String? = nil
        var connections = 1
        /// Whether every session must end with QUIT (not after a failed handshake).
        var quits = true
        var extra: [String: String] = [:]
        /// Must appear in the hint; `notInHint` must not.
        var hintFragment: String? = nil
        var notInHint: String? = nil
    }

    static let cases: [Case] = [
        Case(name: "submission", service: "submission", settings: "starttls: required"),
        Case(name: "wrong-password", service: "submission", settings: "starttls: required", password: "wrong",
             failure: "credentials-rejected", fragment: "535", hintLine: "password:"),
        Case(name: "smtps", service: "smtps", settings: "ssl: true"),
        Case(name: "relay-with-credentials", service: "relay", settings: "starttls: required",
             failure: "starttls-not-offered", fragment: "neither STARTTLS nor AUTH", hintLine: "port:",
             hintFragment: "remove smtp.username and smtp.password", notInHint: "starttls: optional"),
        Case(name: "relay-anonymous", service: "relay", settings: "starttls: off", password: ""),
        Case(name: "tls13-only", service: "tls13only", settings: "starttls: required\n  ssl_protocols: [TLSv1.2]",
             failure: "tls-version-mismatch", fragment: "speaks TLSv1.3 only", hintLine: "ssl_protocols:", connections: 2, quits: false,
             hintFragment: "add TLSv1.3 to smtp.ssl_protocols", notInHint: "upgrade"),
        Case(name: "expired", service: "expired", settings: "starttls: required",
             failure: "certificate-expired", fragment: "expired", connections: 1, quits: false),
        Case(name: "expired-but-trusted", service: "expired", settings: "starttls: required\n  ssl_trust: [localhost]",
             warning: "certificate expired"),
        Case(name: "wrong-host", service: "wronghost", settings: "starttls: required",
             failure: "certificate-host-mismatch", fragment: "does not name 'localhost'", quits: false),
        Case(name: "self-signed", service: "selfsigned", settings: "starttls: required",
             failure: "certificate-untrusted", fragment: "not trusted", hintLine: "ssl_trust:", quits: false,
             extra: ["ssl_trust": "[]"]),
        Case(name: "auth-in-plain-text", service: "authnotls", settings: "starttls: off",
             warning: "plain text"),
        // The platform's client connects without signing in (mail.smtp.auth=true does not require AUTH).
        Case(name: "no-auth", service: "noauth", settings: "starttls: required", warning: "offers no AUTH"),
    ]

    @Test func probesMatchWhatPostfixSaw() throws {
        let (instance, parent) = try Self.start()
        defer { Self.stop(parent) }
        let ws = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-postfix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: ws) }
        try FileManager.default.createDirectory(at: ws.appendingPathComponent("companies"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: ws.appendingPathComponent("secrets"), withIntermediateDirectories: true)
        try "mode: on-premise\nprobe:\n  timeout: 5s\n  ca_file: \(instance.ca_file)\n"
            .write(to: ws.appendingPathComponent("mailform.yaml"), atomically: true, encoding: .utf8)
        try "\(instance.password)\n".write(to: ws.appendingPathComponent("secrets/good.txt"), atomically: true, encoding: .utf8)
        try "not-the-password\n".write(to: ws.appendingPathComponent("secrets/wrong.txt"), atomically: true, encoding: .utf8)

        for c in Self.cases {
            let port = try #require(instance.ports[c.service])
            var yaml = "company: \(c.name)\nsender:\n  email: no-reply@\(c.name).example.test\nprovider: smtp\nsmtp:\n  host: localhost\n  port: \(port)\n"
            if !c.password.isEmpty {
                yaml += "  username: \(instance.user)\n  password: ${file:../secrets/\(c.password).txt}\n"
            }
            yaml += "  " + c.settings + "\n"
            for (key, value) in c.extra { yaml += "  \(key): \(value)\n" }
            let file = "companies/\(c.name).yaml"
            try yaml.write(to: ws.appendingPathComponent(file), atomically: true, encoding: .utf8)

            let before = Self.logSize(instance.log)
            let result = try CommandRunner.run(["probe", "--send-credentials", file, "--format", "json"], in: ws)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let entry = try #require((object?["results"] as? [[String: Any]])?.first, "\(c.name): \(result.stdout)\(result.stderr)")
            let failure = entry["failure"] as? [String: Any]
            if let kind = c.failure {
                #expect(result.exitCode == 3, "\(c.name)")
                #expect(failure?["kind"] as? String == kind, "\(c.name): \(entry)")
                #expect((failure?["message"] as? String)?.contains(c.fragment) == true, "\(c.name): \(entry)")
                if let fragment = c.hintFragment {
                    #expect((failure?["hint"] as? String)?.contains(fragment) == true, "\(c.name): \(failure ?? [:])")
                }
                if let unwanted = c.notInHint {
                    #expect((failure?["hint"] as? String)?.contains(unwanted) == false, "\(c.name): \(failure ?? [:])")
                }
                if let hintLine = c.hintLine {
                    // The hint points at the line of the field it names.
                    let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
                    let expected = (lines.firstIndex { $0.contains(hintLine) } ?? lines.firstIndex { $0.contains("smtp:") }!) + 1
                    #expect(entry["line"] as? Int == expected, "\(c.name): hint at line \(entry["line"] ?? "?"), expected \(expected) (\(hintLine))")
                }
            } else {
                #expect(result.exitCode == 0, "\(c.name): \(entry)")
                #expect(failure == nil, "\(c.name): \(entry)")
            }
            if let warning = c.warning {
                #expect((entry["warnings"] as? [String])?.contains { $0.contains(warning) } == true, "\(c.name): \(entry)")
            }

            // What Postfix saw during this probe.
            let sessions = try Self.sessions(instance.log, from: before, service: c.service, expected: c.connections)
            #expect(sessions.connects == c.connections, "\(c.name): \(sessions.connects) connections\n\(sessions.text)")
            #expect(!sessions.text.contains(" mail=") && !sessions.text.contains(" rcpt=") && !sessions.text.contains(" data="),
                    "\(c.name): MAIL, RCPT or DATA reached Postfix\n\(sessions.text)")
            if c.quits {
                #expect(sessions.quits == c.connections, "\(c.name): not every session ended with QUIT\n\(sessions.text)")
                #expect(!sessions.text.contains("lost connection after"), "\(c.name)\n\(sessions.text)")
            }
            if c.connections == 2 {
                // The diagnostic second connection shows in --trace too.
                let trace = try CommandRunner.run(["probe", "--send-credentials", file, "--trace"], in: ws)
                #expect(trace.stdout.contains("--- second connection"), "\(c.name): \(trace.stdout)")
                #expect(trace.stdout.components(separatedBy: "* Connected to").count - 1 == 2, "\(c.name): \(trace.stdout)")
            }
        }
    }

    /// A hint about an inherited field points into the profile, and names the company.
    @Test func inheritedFieldHintPointsIntoTheProfile() throws {
        let (instance, parent) = try Self.start()
        defer { Self.stop(parent) }
        let ws = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-postfix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: ws) }
        for folder in ["companies", "profiles", "secrets"] {
            try FileManager.default.createDirectory(at: ws.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try "mode: on-premise\nprobe:\n  timeout: 5s\n  ca_file: \(instance.ca_file)\n"
            .write(to: ws.appendingPathComponent("mailform.yaml"), atomically: true, encoding: .utf8)
        // A profile reads no file inside the workspace: its secret comes from the runner.
        try "smtp:\n  host: localhost\n  port: \(instance.ports["submission"]!)\n  username: \(instance.user)\n  password: ${env:MAILFORM__RELAY__SMTP_PASSWORD}\n"
            .write(to: ws.appendingPathComponent("profiles/relay.yaml"), atomically: true, encoding: .utf8)
        try "company: heir\nextends: relay\nsender:\n  email: a@heir.example.test\nprovider: smtp\n"
            .write(to: ws.appendingPathComponent("companies/heir.yaml"), atomically: true, encoding: .utf8)
        let result = try CommandRunner.run(["probe", "--send-credentials", "companies"], in: ws,
                                           environment: ["MAILFORM__RELAY__SMTP_PASSWORD": "not-the-password"])
        #expect(result.exitCode == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("heir  smtp"), "\(result.stdout)")
        #expect(result.stdout.contains("profiles/relay.yaml:5:"), "the hint must point at the profile's password line: \(result.stdout)")
    }

    // MARK: The instance

    static func start() throws -> (Instance, URL) {
        // postfix must be able to reach the folder: a 0755 parent.
        let parent = URL(fileURLWithPath: "/tmp/mailform-mta-\(UUID().uuidString.prefix(8))")
        let script = CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/mta/start.sh").path
        var lastError = ""
        for _ in 0..<5 {
            // Made for each attempt: a failed attempt's stop removes it (the
            // retry then failed to open its error file, reported as "cannot
            // start /bin/bash").
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            let base = Int.random(in: 20_000...59_000)
            let errFile = parent.appendingPathComponent("start.err")
            let status = try DaemonSpawn.run(["/bin/bash", script, parent.appendingPathComponent("root").path, String(base)], stderr: errFile.path)
            lastError = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            if status == 0 {
                let data = try Data(contentsOf: parent.appendingPathComponent("root/instance.json"))
                return (try JSONDecoder().decode(Instance.self, from: data), parent)
            }
            stop(parent)
        }
        throw TestServers.ServerError(message: "the Postfix + Dovecot test instance did not start (make test installs postfix and dovecot-core): \(lastError)")
    }

    static func stop(_ parent: URL) {
        _ = try? DaemonSpawn.run(["/bin/bash", CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/mta/stop.sh").path,
                        parent.appendingPathComponent("root").path], stderr: "/dev/null")
        try? FileManager.default.removeItem(at: parent)
    }

    static func logSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// The log of one service written since `offset`, once every session has
    /// its `disconnect` line (postlogd writes asynchronously; bounded wait).
    static func sessions(_ path: String, from offset: Int, service: String, expected: Int) throws -> (connects: Int, quits: Int, text: String) {
        let deadline = Date().addingTimeInterval(5)
        var text = ""
        repeat {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            try handle.seek(toOffset: UInt64(offset))
            let all = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            try handle.close()
            text = all.split(separator: "\n").filter { $0.contains("postfix-mailform/\(service)/") }.joined(separator: "\n")
            let connects = text.components(separatedBy: ": connect from ").count - 1
            let disconnects = text.components(separatedBy: ": disconnect from ").count - 1
            if connects >= expected && disconnects >= connects { break }
            usleep(50_000)
        } while Date() < deadline
        let connects = text.components(separatedBy: ": connect from ").count - 1
        let quits = text.split(separator: "\n").filter { $0.contains(": disconnect from ") && $0.contains(" quit=1") }.count
        return (connects, quits, text)
    }
}

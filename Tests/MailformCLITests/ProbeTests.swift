import Foundation
import GRDB
import Testing

/// `mailform probe` against real SMTP servers and a Mailgun-like API on
/// 127.0.0.1. Every test also checks that no server received MAIL, RCPT or DATA.
@Suite(.serialized)
struct ProbeTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var server: String
        var settings: String
        var password: String = "good"
        /// nil: the probe must pass.
        var failure: String?
        var fragment: String = ""
        /// A warning the passing probe must carry (then AUTH is not a stage).
        var warning: String?
        var description: String { name }
    }

    static let smtpCases: [Case] = [
        Case(name: "starttls-auth-passes", server: "starttls_auth", settings: "starttls: required"),
        Case(name: "implicit-tls-passes", server: "implicit_tls_auth", settings: "ssl: true"),
        Case(name: "wrong-password", server: "starttls_auth", settings: "starttls: required", password: "bad",
             failure: "credentials-rejected", fragment: "535"),
        Case(name: "starttls-required-not-offered", server: "plain_auth", settings: "starttls: required",
             failure: "starttls-not-offered", fragment: "does not offer STARTTLS"),
        Case(name: "starttls-optional-plain-passes", server: "plain_auth", settings: "starttls: optional"),
        // mail.smtp.auth=true does not make AUTH mandatory: the platform connects (a warning).
        Case(name: "no-auth-offered", server: "no_auth", settings: "starttls: required", warning: "offers no AUTH"),
        Case(name: "self-signed", server: "self_signed", settings: "starttls: required",
             failure: "certificate-untrusted", fragment: "not trusted"),
        Case(name: "self-signed-trusted-host", server: "self_signed", settings: "starttls: required\n  ssl_trust: [localhost]"),
        Case(name: "expired-certificate", server: "expired", settings: "starttls: required",
             failure: "certificate-expired", fragment: "expired"),
        Case(name: "host-name-mismatch", server: "wrong_host", settings: "starttls: required",
             failure: "certificate-host-mismatch", fragment: "does not name 'localhost'"),
        Case(name: "host-name-not-checked", server: "wrong_host", settings: "starttls: required\n  ssl_check_identity: false"),
        Case(name: "tls13-against-tls12-server", server: "tls12_only", settings: "ssl_protocols: [TLSv1.3]",
             failure: "tls-version-mismatch", fragment: "speaks TLSv1.2 only"),
        Case(name: "silent-server", server: "silent", settings: "starttls: required",
             failure: "timeout", fragment: "timeout at banner"),
        Case(name: "garbage-banner", server: "garbage", settings: "starttls: required",
             failure: "not-smtp", fragment: "does not speak SMTP"),
        Case(name: "connection-refused", server: "refused", settings: "starttls: required",
             failure: "refused", fragment: "refused"),
        Case(name: "smtps-against-starttls-port", server: "starttls_auth", settings: "ssl: true",
             failure: "wrong-port-kind", fragment: "plain SMTP first"),
    ]

    func workspace(_ servers: TestServers, companies: [String: String], caFile: Bool = true) throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        // The test servers' companies share their secrets (every other secret belongs to one company).
        var settings = "mode: on-premise\nsecrets:\n  shared: [\"${file:secrets/good.txt}\", \"${file:secrets/bad.txt}\", \"${file:secrets/mailgun.txt}\", \"${file:secrets/mailgun-bad.txt}\"]\nprobe:\n  timeout: 2s\n"
        if caFile { settings += "  ca_file: \(servers.smtp.ca_file)\n" }
        try ws.write("mailform.yaml", settings)
        try ws.write("secrets/good.txt", servers.smtp.password + "\n")
        try ws.write("secrets/bad.txt", "not-the-password\n")
        try ws.write("secrets/mailgun.txt", servers.mailgun.key + "\n")
        try ws.write("secrets/mailgun-bad.txt", "key-wrong-wrong-wrong\n")
        for (name, text) in companies { try ws.write("companies/\(name).yaml", text) }
        return ws
    }

    static func smtpCompany(_ id: String, port: Int, settings: String, password: String = "good", user: String = "probe@example.test") -> String {
        """
        company: \(id)
        sender:
          email: no-reply@\(id).example.test
        provider: smtp
        smtp:
          host: localhost
          port: \(port)
          username: \(user)
          password: ${file:../secrets/\(password).txt}
          \(settings)

        """
    }

    static func mailgunCompany(_ id: String, domain: String, region: String, key: String = "mailgun") -> String {
        """
        company: \(id)
        sender:
          email: no-reply@\(domain)
        provider: mailgun
        mailgun:
          domain: \(domain)
          api_key: ${file:../secrets/\(key).txt}
          region: \(region)

        """
    }

    func results(_ result: CommandResult) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object?["results"] as? [[String: Any]], "no JSON results: \(result.stdout) \(result.stderr)")
    }

    @Test(arguments: smtpCases)
    func smtpBehaviour(_ c: Case) throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: [c.name: Self.smtpCompany(c.name, port: servers.port(c.server), settings: c.settings, password: c.password)])
        let started = Date()
        let result = try ws.run(["probe", "--send-credentials", "companies", "--format", "json"], environment: servers.environment)
        let elapsed = Date().timeIntervalSince(started)
        let entry = try #require(try results(result).first)
        let failure = entry["failure"] as? [String: Any]
        if let expected = c.failure {
            #expect(result.exitCode == 3)
            #expect(failure?["kind"] as? String == expected, "\(entry)")
            #expect((failure?["message"] as? String)?.contains(c.fragment) == true, "\(failure ?? [:])")
            #expect((failure?["hint"] as? String)?.isEmpty == false)
            #expect(entry["file"] as? String == "companies/\(c.name).yaml")
        } else {
            #expect(result.exitCode == 0, "\(entry)")
            #expect(failure == nil)
            let stages = (entry["stages"] as? [[String: Any]] ?? []).compactMap { $0["stage"] as? String }
            #expect(stages.contains("banner") && stages.contains("ehlo") && (stages.contains("auth") || c.warning != nil) && stages.contains("quit"), "\(stages)")
            if let warning = c.warning {
                #expect((entry["warnings"] as? [String])?.contains { $0.contains(warning) && $0.contains("connects without signing in") } == true, "\(entry)")
            }
        }
        // Every stage is bounded by the timeout (2 s) plus one second.
        #expect(elapsed < 3 + 1.5)
        #expect(servers.forbiddenCommands.isEmpty, "a server received \(servers.forbiddenCommands)")
        #expect(!result.stdout.contains(servers.smtp.password))
    }

    /// Hostile servers: each probe ends within the timeout + 1 s, classified,
    /// with bounded memory (peak RSS measured with /usr/bin/time).
    @Test(arguments: [
        ("drip", "starttls: required", "timeout"),
        ("huge_ehlo", "starttls: off", "protocol-violation"),
        ("close_mid_auth", "starttls: off", "connection-closed"),
        // The alert arrives with the 220 or during the handshake, as the reads fall.
        ("tls_garbage", "starttls: required", "protocol-violation|tls-handshake"),
        ("silent", "starttls: required", "timeout"),
    ])
    func hostileServer(_ server: String, _ settings: String, _ kind: String) throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: ["hostile": Self.smtpCompany("hostile", port: servers.port(server), settings: settings)])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "__RSS_KB %M", CommandRunner.binary.path, "probe", "--send-credentials", "--no-dns", "companies", "--format", "json", "--timeout", "2s"]
        process.currentDirectoryURL = ws.root
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let started = Date()
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let elapsed = Date().timeIntervalSince(started)
        // The probe ends at the 2 s timeout; the rest is the process starting, under a parallel suite.
        #expect(elapsed < 2 + 2, "\(server) took \(elapsed) s")
        let entry = try #require(try results(CommandResult(exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: stderr)).first)
        let actual = (entry["failure"] as? [String: Any])?["kind"] as? String ?? "none"
        #expect(kind.split(separator: "|").contains(Substring(actual)), "\(entry)")
        let rss = stderr.split(separator: "\n").last { $0.hasPrefix("__RSS_KB ") }.flatMap { Int($0.dropFirst(9)) }
        #expect((rss ?? Int.max) < 150_000, "peak memory \(rss ?? -1) KB")
        #expect(servers.forbiddenCommands.isEmpty)
    }

    @Test func passingProbeReportsTLSCertificateAndCapabilities() throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: ["ok": Self.smtpCompany("ok", port: servers.port("starttls_auth"), settings: "starttls: required")])
        let entry = try #require(try results(try ws.run(["probe", "--send-credentials", "companies", "--format", "json"], environment: servers.environment)).first)
        #expect(entry["tls_version"] as? String == "TLSv1.3")
        #expect((entry["certificate_days_left"] as? Int).map { (8...10).contains($0) } == true, "\(entry)")
        #expect((entry["capabilities"] as? [String])?.contains("AUTH LOGIN PLAIN") == true)
        // Within probe.cert_warning_days (default 21) it is a warning with the date and the days left.
        #expect((entry["warnings"] as? [String])?.contains { $0.contains(" expires on 20") && $0.contains(" days left, within probe.cert_warning_days 21); renew it before then") } == true, "\(entry)")
        try ws.edit("mailform.yaml", "  timeout: 2s\n", "  timeout: 2s\n  cert_warning_days: 5\n")
        let later = try #require(try results(try ws.run(["probe", "--send-credentials", "companies", "--format", "json"], environment: servers.environment)).first)
        #expect(!((later["warnings"] as? [String]) ?? []).contains { $0.contains("expires on") }, "9 days left is not within 5: \(later)")
        let text = try ws.run(["probe", "--send-credentials", "companies", "--trace"], environment: servers.environment)
        #expect(text.stdout.contains("> AUTH"))
        // mailform speaks AUTH itself: the line shows as its verb only, then NOOP and QUIT.
        #expect(text.stdout.contains("> NOOP") && text.stdout.contains("> QUIT") && text.stdout.contains("< 221"))
        #expect(!text.stdout.contains(servers.smtp.password))
        #expect(!text.stdout.contains(Data("\0probe@example.test\0\(servers.smtp.password)".utf8).base64EncodedString()))
    }

    @Test func privateCAIsNeededForTheTestCertificate() throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: ["ca": Self.smtpCompany("ca", port: servers.port("starttls_auth"), settings: "starttls: required")],
                               caFile: false)
        let without = try results(try ws.run(["probe", "--send-credentials", "companies", "--format", "json"], environment: servers.environment))
        #expect((without.first?["failure"] as? [String: Any])?["kind"] as? String == "certificate-untrusted")
        let with = try ws.run(["probe", "--send-credentials", "companies", "--ca-file", servers.smtp.ca_file], environment: servers.environment)
        #expect(with.exitCode == 0, "\(with.stdout)")
    }

    struct MailgunCase: CustomStringConvertible, Sendable {
        var name: String
        var domain: String
        var region: String
        var key = "mailgun"
        var failure: String?
        var fragment = ""
        var description: String { name }
    }

    static let mailgunCases: [MailgunCase] = [
        MailgunCase(name: "valid-key-and-domain", domain: "mg.us.example.test", region: "us"),
        MailgunCase(name: "eu-domain-in-eu", domain: "mg.eu.example.test", region: "eu"),
        MailgunCase(name: "wrong-key", domain: "mg.us.example.test", region: "us", key: "mailgun-bad",
                    failure: "mailgun-key-rejected", fragment: "rejected the API key"),
        MailgunCase(name: "unknown-domain", domain: "mg.nowhere.example.test", region: "us",
                    failure: "mailgun-domain-unknown", fragment: "in either region"),
        MailgunCase(name: "domain-in-other-region", domain: "mg.eu.example.test", region: "us",
                    failure: "mailgun-other-region", fragment: "only in the EU region"),
        MailgunCase(name: "api-error", domain: "error.example.test", region: "us", failure: "mailgun-response", fragment: "HTTP 500"),
        MailgunCase(name: "huge-body", domain: "huge.example.test", region: "us", failure: "mailgun-response", fragment: "more than 1 MiB"),
        MailgunCase(name: "hanging-api", domain: "hang.example.test", region: "us", failure: "timeout", fragment: "could not be reached"),
    ]

    @Test(arguments: mailgunCases)
    func mailgunBehaviour(_ c: MailgunCase) throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: [c.name: Self.mailgunCompany(c.name, domain: c.domain, region: c.region, key: c.key)])
        let started = Date()
        let result = try ws.run(["probe", "--send-credentials", "companies", "--format", "json"], environment: servers.environment)
        #expect(Date().timeIntervalSince(started) < 3 + 1.5)
        let entry = try #require(try results(result).first)
        let failure = entry["failure"] as? [String: Any]
        if let expected = c.failure {
            #expect(result.exitCode == 3)
            #expect(failure?["kind"] as? String == expected, "\(entry)")
            #expect((failure?["message"] as? String)?.contains(c.fragment) == true, "\(failure ?? [:])")
        } else {
            #expect(result.exitCode == 0, "\(entry)")
            #expect(entry["domain_state"] as? String == "active")
        }
        #expect(!result.stdout.contains(servers.mailgun.key))
    }

    @Test func companiesSharingAKeyShareOneRequest() throws {
        let servers = try TestServers.get()
        var companies: [String: String] = [:]
        for i in 0..<5 { companies["shared\(i)"] = Self.mailgunCompany("shared\(i)", domain: "mg.unverified.example.test", region: "us") }
        let ws = try workspace(servers, companies: companies)
        let before = servers.mailgunRequests.filter { $0.contains("mg.unverified.example.test") }.count
        let result = try ws.run(["probe", "--send-credentials", "companies", "--format", "json"], environment: servers.environment)
        let entries = try results(result)
        #expect(entries.count == 5)
        #expect(entries.allSatisfy { ($0["notes"] as? [String])?.first?.contains("unverified") == true })
        let after = servers.mailgunRequests.filter { $0.contains("mg.unverified.example.test") }.count
        #expect(after - before == 1)
    }

    @Test func probeFalseSkipsTheCompany() throws {
        let servers = try TestServers.get()
        let company = Self.smtpCompany("vpn", port: servers.port("silent"), settings: "starttls: required")
            + "probe:\n  enabled: false\n  reason: behind the VPN\n"
        let ws = try workspace(servers, companies: ["vpn": company])
        let result = try ws.run(["probe", "--send-credentials", "companies"], environment: servers.environment)
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("vpn  skipped: behind the VPN"))
    }

    /// probe.proxy: SMTP probes go through a SOCKS5 proxy (socks5h: the proxy
    /// resolves the name, as for hosts only known inside a network).
    @Test func probeGoesThroughTheProxy() throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: ["proxied": Self.smtpCompany("proxied", port: servers.port("starttls_auth"), settings: "starttls: required")])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 2s\n  ca_file: \(servers.smtp.ca_file)\n  proxy: socks5h://127.0.0.1:\(servers.proxyPort)\n")
        let before = servers.proxyConnects.count
        let result = try ws.run(["probe", "--send-credentials", "companies"], environment: servers.environment)
        #expect(result.exitCode == 0, "\(result.stdout)")
        #expect(Array(servers.proxyConnects.dropFirst(before)) == ["CONNECT localhost:\(servers.port("starttls_auth"))"])
    }

    /// --send-test is the only path that sends: one message over SMTP, one
    /// test-mode message to Mailgun.
    @Test func sendTestSendsExactlyOneMessage() throws {
        let servers = try TestServers.get()
        let smtpCompany = Self.smtpCompany("sender", port: servers.port("starttls_auth"), settings: "starttls: required")
            .replacingOccurrences(of: "no-reply@sender.example.test", with: "sender@sendtest.example.test")
        let ws = try workspace(servers, companies: [
            "sender": smtpCompany,
            "mg": Self.mailgunCompany("mg", domain: "mg.us.example.test", region: "us"),
        ])
        let before = servers.sentCommands.count
        let result = try ws.run(["probe", "--send-credentials", "companies", "--send-test", TestServers.sendTestAddress, "--format", "json"], environment: servers.environment)
        #expect(result.exitCode == 0, "\(result.stdout)")
        let sent = Array(servers.sentCommands.dropFirst(before))
        #expect(sent == ["MAIL sender@sendtest.example.test", "RCPT \(TestServers.sendTestAddress)", "DATA to \(TestServers.sendTestAddress)"])
        let posts = servers.mailgunRequests.filter { $0.contains("POST /v3/mg.us.example.test/messages") }
        #expect(posts.count == 1)
        #expect(posts.first?.contains("o%3Atestmode=yes") == true)
        let entries = try results(result)
        #expect(entries.allSatisfy { ($0["stages"] as? [[String: Any]])?.contains { $0["stage"] as? String == "send" } == true })
    }

    /// apply probes the changed endpoints first: a failure writes nothing (exit 3),
    /// --skip-failed writes the others, --no-probe skips the check.
    @Test func applyIsGatedByTheProbe() throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: [
            "good": Self.smtpCompany("good", port: servers.port("starttls_auth"), settings: "starttls: required"),
            "bad": Self.smtpCompany("bad", port: servers.port("starttls_auth"), settings: "starttls: required", password: "bad"),
        ])
        let refused = try ws.run(["apply", "companies", "--auto-approve"], environment: servers.environment)
        #expect(refused.exitCode == 3)
        #expect(refused.stderr.contains("1 company failed the probe or the DNS checks (bad); nothing was written"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
        let partial = try ws.run(["apply", "companies", "--auto-approve", "--skip-failed"], environment: servers.environment)
        // A partial apply is not a success: exit 3, and the revision names what was left out.
        #expect(partial.exitCode == 3, "\(partial.stderr)")
        #expect(partial.stdout.contains("Apply complete: 1 added"))
        #expect(partial.stdout.contains("left out after a failed probe: bad"))
        #expect(try ws.companyCount() == 1)
        let history = try ws.run(["history"], environment: servers.environment)
        #expect(history.stdout.contains("Left out after a failed probe: bad."), "\(history.stdout)")
        let forced = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: servers.environment)
        #expect(forced.exitCode == 0)
        #expect(try ws.companyCount() == 2)
        // Unchanged companies are not probed again.
        try ws.write("secrets/bad.txt", servers.smtp.password + "\n")
        let fixed = try ws.run(["apply", "companies", "--auto-approve", "--force"], environment: servers.environment)
        #expect(fixed.exitCode == 0, "\(fixed.stderr)")
        #expect(fixed.stdout.contains("Probe: 1 endpoint: 1 ok (1 with warnings), 0 failed"), "\(fixed.stdout)")
        #expect(servers.forbiddenCommands.isEmpty)
    }

    /// plan --probe sends a secret only to an endpoint that already holds that
    /// same secret in the store (same host, port, TLS mode, fingerprint).
    @Test func planProbeKeepsCredentialsFromNewEndpoints() throws {
        let servers = try TestServers.get()
        let ws = try workspace(servers, companies: ["acme": Self.smtpCompany("acme", port: servers.port("starttls_auth"), settings: "starttls: required")])
        try #require(try ws.run(["apply", "companies", "--auto-approve"], environment: servers.environment).exitCode == 0)
        // The same endpoint and secret, another setting changed: credentials are used.
        try ws.edit("companies/acme.yaml", "starttls: required", "starttls: required\n  ssl_protocols: [TLSv1.3, TLSv1.2]")
        let known = try ws.run(["plan", "companies", "--probe"], environment: servers.environment)
        #expect(known.exitCode == 0, "\(known.stdout)")
        #expect(known.stdout.contains(", auth "), "\(known.stdout)")
        // Same host, another port: the endpoint does not hold the secret; AUTH is not attempted.
        try ws.edit("companies/acme.yaml", "port: \(servers.port("starttls_auth"))", "port: \(servers.port("wrong_host"))\n  ssl_check_identity: false")
        let moved = try ws.run(["plan", "companies", "--probe"], environment: servers.environment)
        #expect(moved.exitCode == 0, "\(moved.stdout)")
        #expect(moved.stdout.contains("AUTH not attempted"), "\(moved.stdout)")
        #expect(!moved.stdout.contains(", auth "))
        // A new host: TLS is checked, AUTH is not attempted.
        try ws.edit("companies/acme.yaml", "host: localhost", "host: 127.0.0.1")
        let fresh = try ws.run(["plan", "companies", "--probe"], environment: servers.environment)
        #expect(fresh.exitCode == 0, "\(fresh.stdout)")
        #expect(fresh.stdout.contains("AUTH not attempted"))
        let trusted = try ws.run(["plan", "companies", "--probe", "--send-credentials"], environment: servers.environment)
        #expect(trusted.stdout.contains(", auth "), "\(trusted.stdout)")
    }
}

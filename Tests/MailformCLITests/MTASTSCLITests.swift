import Foundation
import Testing
import TestServerSupport

/// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) through the binary: the zone
/// sts.test on a real Knot, each policy served over HTTPS by
/// Tests/Servers/mta_sts_lab.py at the address Knot gives its host, with
/// the lab's CA as `--ca-file`. Each company's sender domain is one case.
@Suite(.serialized)
struct MTASTSCLITests {
    /// Each case's MTA-STS and TLS-RPT findings (id and severity), in order.
    static let expected: [String: [String]] = [
        "enforce": [],
        "manymx": [],  // 1,000 mx lines; the MX matches the last, a wildcard
        "mismatch": ["mta-sts-mx-mismatch error"],
        "testing": ["mta-sts-testing note", "tlsrpt-missing note"],
        "none": ["mta-sts-none note"],
        "expiring": ["mta-sts-cert-expiring warning"],
        "expired": ["mta-sts-policy-unavailable warning"],
        "redirect": ["mta-sts-policy-unavailable warning"],
        "huge": ["mta-sts-policy-invalid warning"],
        "hang": ["mta-sts-policy-unavailable warning"],
        "badtype": ["mta-sts-policy-invalid warning"],
        "badpolicy": ["mta-sts-policy-invalid warning"],
        "badrecord": ["mta-sts-record-invalid warning"],
        "badrpt": ["tlsrpt-invalid warning"],
        "nohost": ["mta-sts-policy-unavailable warning"],
        "plain": [],
    ]

    /// A Knot of its own for the test, the shared HTTPS lab, and what
    /// points mailform at both.
    struct Servers {
        let lab: MTASTSLab
        let dns: TestDNSServer
        init() throws {
            lab = try MTASTSLab.get()
            dns = try TestDNSServer.start()
        }
        var environment: [String: String] { lab.environment.merging(["MAILFORM_DNS": "on"]) { _, given in given } }
        var flags: [String] { ["--dns-server", dns.proxyAddress, "--ca-file", lab.info.ca_file] }
        func stop() { dns.stop() }
    }

    static func workspace(requireMTASTS: Bool = false) throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", """
            mode: saas
            store: ./.lab/mailform.db
            platform:
              spf_include: _spf.platform.test
            probe:
              timeout: 2s
              require_mta_sts: \(requireMTASTS)
              dns:
                timeout: 1500ms

            """)
        for name in expected.keys {
            try ws.write("companies/\(name).yaml", "company: \(name)\nsender:\n  email: no-reply@\(name).sts.test\nprovider: platform\n")
        }
        try FileManager.default.createDirectory(atPath: ws.path(".lab"), withIntermediateDirectories: true)
        return ws
    }

    @Test func eachCaseGivesItsFindingsAtTheSenderLine() throws {
        let servers = try Servers()
        defer { servers.stop() }
        let ws = try Self.workspace()
        var env = servers.environment
        let started = Date()
        let result = try ws.run(["probe", "companies", "--format", "json"] + servers.flags,
                                environment: env)
        // The policy host that never answers costs the probe's timeout (2 s), once.
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(result.exitCode == 3, "\(result.stderr)")  // the mismatch under enforce is an error
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let findings = try #require(object["deliverability"] as? [[String: Any]])
        let summary = try #require(object["deliverability_summary"] as? [String: Int])
        #expect(summary["checked_companies"] == Self.expected.count && summary["errors"] == findings.count { $0["severity"] as? String == "error" })
        for (company, ids) in Self.expected {
            let mine = findings.filter { $0["company"] as? String == company }
            let got = mine.filter { ($0["id"] as? String).map { $0.hasPrefix("mta-sts") || $0.hasPrefix("tlsrpt") } ?? false }
                .map { "\($0["id"] as? String ?? "") \($0["severity"] as? String ?? "")" }
            #expect(got == ids, "\(company): \(mine)")
            // Nothing else: SPF, DMARC and MX of each case are in order.
            #expect(mine.count == got.count, "\(company): \(mine)")
            for finding in mine {
                #expect(finding["file"] as? String == "companies/\(company).yaml" && finding["line"] as? Int == 3, "\(finding)")
                #expect((finding["hint"] as? String)?.isEmpty == false)
            }
        }
        func message(_ company: String) -> String {
            findings.first { $0["company"] as? String == company }?["message"] as? String ?? ""
        }
        #expect(message("mismatch").contains("mx.mismatch.sts.test"), "\(message("mismatch"))")
        #expect(message("expiring").contains("days left"), "\(message("expiring"))")
        #expect(message("huge").contains("larger than 64 KiB"))
        #expect(message("redirect").contains("HTTP 301"))
        #expect(message("expired").contains("certificate"), "\(message("expired"))")
        // The TLS-RPT hint carries the record to publish.
        let rpt = findings.first { $0["company"] as? String == "badrpt" }
        #expect(rpt?["record"] as? String == "_smtp._tls.badrpt.sts.test TXT \"v=TLSRPTv1; rua=mailto:tls-reports@badrpt.sts.test\"")
    }

    /// The fetch goes straight to the address Knot gave: a proxy from the
    /// environment (which would resolve the name itself) is not used.
    @Test func theFetchIgnoresProxyVariables() throws {
        let servers = try Servers()
        defer { servers.stop() }
        let ws = try Self.workspace()
        var env = servers.environment
        for name in ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] { env[name] = "http://127.0.0.1:9" }
        let result = try ws.run(["probe", "companies", "--company", "enforce"] + servers.flags,
                                environment: env)
        #expect(result.exitCode == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("mta-sts-policy-unavailable"), "\(result.stdout)")
    }

    /// From the new-user trial: `-q` prints the errors that fail the run and
    /// no warnings or notes; a plan that checks no company says so instead
    /// of "no findings".
    @Test func quietRunsShowTheErrorsAndAnUncheckedPlanSaysSo() throws {
        let servers = try Servers()
        defer { servers.stop() }
        let ws = try Self.workspace().usingStoreKey()
        var env = servers.environment
        let flags = servers.flags
        let probe = try ws.run(["probe", "companies", "-q", "--company", "mismatch", "--company", "testing"] + flags, environment: env)
        #expect(probe.exitCode == 3)
        #expect(probe.stdout.contains("[mta-sts-mx-mismatch]") && !probe.stdout.contains("[mta-sts-testing]"), "\(probe.stdout)")
        let plan = try ws.run(["plan", "--probe", "-q", "--company", "mismatch"] + flags, environment: env)
        #expect(plan.exitCode == 3, "\(plan.stderr)")
        #expect(plan.stdout.contains("[mta-sts-mx-mismatch]"), "\(plan.stdout)")
        _ = try ws.run(["apply", "--auto-approve", "--no-probe", "--company", "enforce"], environment: env)
        let unchanged = try ws.run(["plan", "--probe", "--company", "enforce"] + flags, environment: env)
        #expect(unchanged.exitCode == 0, "\(unchanged.stdout)\(unchanged.stderr)")
        #expect(unchanged.stdout.contains("Deliverability: not checked"), "\(unchanged.stdout)")
        let skipped = try ws.run(["probe", "companies", "--no-dns", "--company", "enforce"], environment: env)
        #expect(skipped.stdout.contains("Deliverability: skipped (--no-dns or MAILFORM_DNS=off)."), "\(skipped.stdout)")
        #expect(!unchanged.stdout.contains("no findings"))
    }

    /// `probe.require_mta_sts: true` makes a domain without MTA-STS a
    /// warning with the record to publish; without it, absence is not reported.
    @Test func requiringMTASTSReportsItsAbsence() throws {
        let servers = try Servers()
        defer { servers.stop() }
        let ws = try Self.workspace(requireMTASTS: true)
        var env = servers.environment
        let result = try ws.run(["probe", "companies", "--company", "plain"] + servers.flags,
                                environment: env)
        #expect(result.stdout.contains("companies/plain.yaml:3:10: warning: plain: plain.sts.test publishes no mta-sts policy"), "\(result.stdout)")
        #expect(result.stdout.contains("record: _mta-sts.plain.sts.test TXT \"v=STSv1; id="), "\(result.stdout)")
        #expect(result.stdout.contains("mx: mx.plain.sts.test"), "\(result.stdout)")
    }
}

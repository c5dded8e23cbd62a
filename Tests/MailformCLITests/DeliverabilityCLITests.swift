import Foundation
import Testing
import TestServerSupport

/// The DNS stage through the binary: examples/dns-lab against a real Knot
/// (Tests/Servers/dns, one zone per case) and the Mailgun stub's
/// `sending_dns_records`. Each company's sender domain has one problem;
/// the finding must carry its id, its severity and the line of the field.
@Suite(.serialized)
struct DeliverabilityCLITests {
    /// The expected finding of each lab company (id, severity), and whether
    /// the company must have no error at all.
    static let expected: [(company: String, id: String, severity: String)] = [
        ("no-spf", "spf-missing", "warning"),
        ("no-platform-include", "spf-platform-include-missing", "error"),
        ("too-many-lookups", "spf-lookup-limit", "error"),
        ("spf-syntax-error", "spf-invalid", "error"),
        ("no-dmarc", "dmarc-missing", "warning"),
        ("reject-misaligned", "dmarc-reject-misaligned", "error"),
        ("weak-dkim", "dkim-weak-key", "error"),
        ("missing-dkim", "dkim-missing", "error"),
        ("dsar-without-mx", "mx-implicit", "note"),
        ("dns-timeout", "dns-timeout", "error"),
        ("mailgun-records", "mailgun-dns-record-invalid", "error"),
        ("mailgun-records", "mailgun-not-aligned", "warning"),
        ("mailchimp-records", "mailchimp-dns-record-invalid", "error"),
        ("mailchimp-records", "mailchimp-not-aligned", "warning"),
        ("sendgrid-records", "sendgrid-dns-record-invalid", "error"),
        ("sendgrid-records", "sendgrid-not-aligned", "warning"),
        ("mta-sts-mismatch", "mta-sts-mx-mismatch", "error"),
        ("mta-sts-testing", "mta-sts-testing", "note"),
        ("mta-sts-testing", "tlsrpt-missing", "note"),
        ("dmarc-removed-tags", "dmarc-removed-tag", "warning"),
        ("dmarc-np-reject", "dmarc-reject-misaligned", "error"),
    ]

    /// A resolver that answers nothing is one finding naming it and the
    /// query, not one per domain (2,000 tenants once gave 10,000 errors).
    @Test func aResolverOutageIsOneFinding() throws {
        let servers = try TestServers.get()
        let ws = try ExampleWorkspace(copying: [])
        let lab = CommandRunner.packageRoot.appendingPathComponent("examples/dns-lab")
        for part in ["mailform.yaml", "companies", "secrets"] {
            try FileManager.default.copyItem(at: lab.appendingPathComponent(part), to: ws.root.appendingPathComponent(part))
        }
        try ws.edit("mailform.yaml", "timeout: 1500ms", "timeout: 300ms")
        var env = servers.environment
        env["MAILFORM_DNS"] = "on"
        // A UDP and TCP port on 127.0.0.1 that nothing listens on.
        let dead = "127.0.0.1:9"
        let result = try ws.run(["probe", "companies", "--dns-server", dead, "--format", "json"], environment: env)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let findings = try #require(object["deliverability"] as? [[String: Any]])
        #expect(findings.count == 1, "\(findings)")
        #expect(findings.first?["id"] as? String == "dns-resolver-unavailable")
        #expect((findings.first?["message"] as? String)?.contains("the resolver 127.0.0.1:9 answered none of the first 3 queries") == true, "\(findings)")
        #expect(((findings.first?["details"] as? [String: String])?["query"])?.hasPrefix("TXT ") == true)
        let text = try ws.run(["probe", "companies", "--dns-server", dead], environment: env)
        #expect(text.exitCode == 3)
        #expect(text.stdout.components(separatedBy: "[dns-resolver-unavailable]").count == 2, "\(text.stdout)")
        #expect(!text.stdout.contains("[dns-timeout]") && !text.stdout.contains("[dns-servfail]"))
    }

    @Test func dnsLabFindingsWithLocations() throws {
        let servers = try TestServers.get()
        let dns = try TestDNSServer.start()
        defer { dns.stop() }
        let ws = try ExampleWorkspace(copying: [])
        let lab = CommandRunner.packageRoot.appendingPathComponent("examples/dns-lab")
        for part in ["mailform.yaml", "companies", "secrets"] {
            try FileManager.default.copyItem(at: lab.appendingPathComponent(part), to: ws.root.appendingPathComponent(part))
        }
        try FileManager.default.createDirectory(atPath: ws.path(".lab"), withIntermediateDirectories: true)
        let sts = try MTASTSLab.get()
        // The HTTP-API providers' fakes report the records of their domains.
        let mailchimp = try ProviderFake("mailchimp"), sendgrid = try ProviderFake("sendgrid")
        defer { mailchimp.process.stop(); sendgrid.process.stop() }
        var env = servers.environment.merging(sts.environment) { a, _ in a }
        for fake in [mailchimp, sendgrid] { env.merge(try fake.environment) { a, _ in a } }
        env["MAILFORM_DNS"] = "on"
        let server = "127.0.0.1:\(dns.proxy_port)"
        let result = try ws.run(["probe", "--send-credentials", "companies", "--dns-server", server, "--ca-file", sts.info.ca_file,
                                 "--format", "json"], environment: env)
        #expect(result.exitCode == 3, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try #require(object["deliverability"] as? [[String: Any]], "\(result.stdout.prefix(500))")
        for (company, id, severity) in Self.expected {
            let match = findings.first { $0["company"] as? String == company && $0["id"] as? String == id }
            #expect(match?["severity"] as? String == severity, "\(company): \(id) missing or wrong; got \(findings.filter { $0["company"] as? String == company })")
            #expect(match?["file"] as? String == "companies/\(company).yaml", "\(company): \(match ?? [:])")
            #expect((match?["hint"] as? String)?.isEmpty == false)
        }
        // The good company has nothing to fix; DMARC is found at the organizational domain.
        #expect(!findings.contains { $0["company"] as? String == "good" && $0["severity"] as? String != "note" }, "\(findings.filter { $0["company"] as? String == "good" })")
        #expect(!findings.contains { $0["company"] as? String == "org-domain-dmarc" && $0["id"] as? String == "dmarc-missing" })
        // A missing SPF record comes with the record to publish.
        let noSPF = findings.first { $0["company"] as? String == "no-spf" && $0["id"] as? String == "spf-missing" }
        #expect((noSPF?["record"] as? String)?.contains("v=spf1 include:_spf.platform.test") == true, "\(noSPF ?? [:])")
        #expect(noSPF?["line"] as? Int == 3, "the finding points at sender.email: \(noSPF ?? [:])")

        // Text: located, with hint and record; --no-dns skips the stage.
        let text = try ws.run(["probe", "--send-credentials", "companies/no-spf.yaml", "--dns-server", server], environment: env)
        #expect(text.stdout.contains("companies/no-spf.yaml:3:10: warning: no-spf:"), "\(text.stdout)")
        #expect(text.stdout.contains("  record: "))
        let skipped = try ws.run(["probe", "companies/no-spf.yaml", "--no-dns", "--format", "json"], environment: env)
        #expect(skipped.exitCode == 0)
        #expect(!skipped.stdout.contains("deliverability"))

        // plan --probe: a deliverability line per changed company in the PR comment.
        let md = try ws.run(["plan", "companies/no-spf.yaml", "companies/weak-dkim.yaml", "--probe", "--dns-server", server,
                             "--format", "markdown"], environment: env)
        #expect(md.exitCode == 3, "an error finding fails like a failed probe")
        #expect(md.stdout.contains("#### Deliverability"), "\(md.stdout)")
        #expect(md.stdout.contains("`no-spf`: `warnings: spf-missing`"), "\(md.stdout)")
        #expect(md.stdout.contains("`weak-dkim`: `errors: dkim-weak-key"), "\(md.stdout)")

        // plan --probe in text and JSON: the same findings, located.
        let planText = try ws.run(["plan", "companies/weak-dkim.yaml", "--probe", "--dns-server", server], environment: env)
        #expect(planText.exitCode == 3)
        #expect(planText.stdout.contains("companies/weak-dkim.yaml:6:13: error: weak-dkim:") && planText.stdout.contains("[dkim-weak-key]"),
                "\(planText.stdout)")
        let planJSON = try ws.run(["plan", "companies/no-spf.yaml", "--probe", "--dns-server", server, "--format", "json"], environment: env)
        let planObject = try #require(try JSONSerialization.jsonObject(with: Data(planJSON.stdout.utf8)) as? [String: Any])
        let planFindings = try #require(planObject["deliverability"] as? [[String: Any]], "\(planJSON.stdout.prefix(300))")
        #expect(planFindings.contains { $0["id"] as? String == "spf-missing" && $0["line"] as? Int == 3 })
        #expect(planJSON.exitCode == 0, "warnings do not fail the plan")

        // apply: an error finding blocks like a failed probe; --skip-failed writes the others.
        let blocked = try ws.run(["apply", "companies/no-spf.yaml", "companies/weak-dkim.yaml", "--auto-approve", "--dns-server", server],
                                 environment: env)
        #expect(blocked.exitCode == 3, "\(blocked.stderr)")
        #expect(blocked.stderr.contains("failed the probe or the DNS checks (weak-dkim)"), "\(blocked.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
        let partial = try ws.run(["apply", "companies/no-spf.yaml", "companies/weak-dkim.yaml", "--auto-approve", "--skip-failed",
                                  "--dns-server", server], environment: env)
        #expect(partial.exitCode == 3)
        #expect(partial.stdout.contains("Apply complete: 1 added"), "\(partial.stdout)\(partial.stderr)")
    }
}

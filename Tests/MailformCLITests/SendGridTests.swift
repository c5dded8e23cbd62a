import Foundation
import GRDB
import Testing
import TestServerSupport

/// `provider: sendgrid` from the command line, against
/// `Tests/Servers/sendgrid_stub.py` (a global and an EU API that answer as
/// SendGrid's v3 API does, hostile modes included; docs/provider-apis.md).
@Suite(.serialized)
struct SendGridTests {
    struct Stub: Decodable {
        var global: String
        var eu: String
        var keys: [String: String]
        var env: [String: String]
    }

    final class Lab: @unchecked Sendable {
        let fake: ProviderFake
        let stub: Stub
        static let shared = Result { try Lab() }
        private init() throws {
            fake = try ProviderFake("sendgrid")
            stub = try fake.info(Stub.self)
        }
        var requests: [String] { fake.requests }
        var leaks: String { fake.leaks }
    }

    static func variable(_ id: String) -> String { "MAILFORM_\(id.uppercased().replacingOccurrences(of: "-", with: "_"))__SENDGRID_API_KEY" }

    static func company(_ id: String, domain: String, region: String) -> String {
        """
        company: \(id)
        sender:
          email: no-reply@\(domain)
        provider: sendgrid
        sendgrid:
          api_key: ${env:\(variable(id))}
          domain: \(domain)
          region: \(region)

        """
    }

    func workspace(_ id: String, domain: String, region: String) throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\nstore: ./mailform.db\nprobe:\n  timeout: 2s\n")
        try ws.write("companies/\(id).yaml", Self.company(id, domain: domain, region: region))
        return ws
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var domain = "sg.example.test"
        var region = "global"
        /// A key of the fake by name, or a key as written.
        var key = "full"
        var failure: String?
        var fragment = ""
        /// The hint's line: 6 is api_key, 7 is domain.
        var line: Int?
        var warning: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ok"),
        Case(name: "eu-ok", domain: "sg-eu.example.test", region: "eu", key: "eu"),
        Case(name: "send-only-key", key: "send_only", warning: "not checked: the key lacks whitelabel.read"),
        Case(name: "wrong-key", key: "SG.not-a-key", failure: "sendgrid-key-rejected", fragment: "HTTP 401", line: 6),
        Case(name: "eu-key-on-global", key: "eu", failure: "sendgrid-other-region", fragment: "belongs to SendGrid's EU API", line: 8),
        Case(name: "key-without-mail-send", key: "no_send", failure: "sendgrid-key-scope", fragment: "mail.send", line: 6),
        Case(name: "unknown-domain", domain: "nowhere.example.test", failure: "sendgrid-domain-unknown", fragment: "no authenticated domain", line: 7),
        Case(name: "invalid-domain", domain: "sg-invalid.example.test", failure: "sendgrid-domain-invalid", fragment: "not valid", line: 7),
        Case(name: "echoed-key", key: "echo-SG.secretsecretsecret", failure: "sendgrid-key-rejected", fragment: "HTTP 401", line: 6),
        Case(name: "huge-answer", key: "huge-SG.secretsecretsecret", failure: "sendgrid-response", fragment: "more than 1 MiB"),
        Case(name: "redirect", key: "redirect-SG.secretsecretsecret", failure: "sendgrid-response", fragment: "redirect (HTTP 302)"),
        Case(name: "slow-answer", key: "slow-SG.secretsecretsecret", failure: "timeout", fragment: "could not be reached"),
    ]

    @Test(arguments: cases)
    func eachAnswerIsClassified(_ c: Case) throws {
        let lab = try Lab.shared.get()
        let ws = try workspace(c.name, domain: c.domain, region: c.region)
        let key = lab.stub.keys[c.key] ?? c.key
        let started = Date()
        let result = try ws.run(["probe", "--send-credentials", "--no-dns", "companies", "--format", "json"],
                                environment: lab.stub.env.merging([Self.variable(c.name): key]) { a, _ in a })
        #expect(Date().timeIntervalSince(started) < 2 + 2.5, "the probe's timeout bounds a slow answer")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
        let entry = try #require((object["results"] as? [[String: Any]])?.first, "\(object)")
        #expect(entry["endpoint_path"] as? String == "sendgrid")
        let failure = entry["failure"] as? [String: Any]
        if let expected = c.failure {
            #expect(result.exitCode == 3)
            #expect(failure?["kind"] as? String == expected, "\(entry)")
            #expect((failure?["message"] as? String)?.contains(c.fragment) == true, "\(failure ?? [:])")
            if let line = c.line { #expect(entry["line"] as? Int == line, "the hint's line: \(entry)") }
        } else {
            #expect(result.exitCode == 0, "\(entry)")
            if let warning = c.warning {
                #expect((entry["warnings"] as? [String])?.contains { $0.contains(warning) } == true, "\(entry)")
            } else {
                #expect(entry["domain_state"] as? String == "authenticated", "\(entry)")
            }
        }
        #expect(!result.stdout.contains(key) && !result.stderr.contains(key), "the key shows")
        #expect(lab.leaks.isEmpty, "the key went to the redirect's target: \(lab.leaks)")
    }

    /// The key goes only to the API and domain the store holds it for: a
    /// pull request that moves the account to the EU API gets nothing sent.
    @Test func theKeyGoesOnlyWhereTheStoreHoldsIt() throws {
        let lab = try Lab.shared.get()
        let ws = try workspace("gated", domain: "sg.example.test", region: "global").usingStoreKey()
        let env = lab.stub.env.merging([Self.variable("gated"): lab.stub.keys["full"]!]) { a, _ in a }
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        let before = lab.requests.count
        #expect(try ws.run(["probe", "--no-dns", "companies"], environment: env).exitCode == 0)
        #expect(lab.requests.count > before)
        try ws.edit("companies/gated.yaml", "region: global", "region: eu")
        let moved = lab.requests.count
        let changed = try ws.run(["probe", "--no-dns", "companies"], environment: env)
        #expect(changed.stdout.contains("API key not sent"), "\(changed.stdout)")
        #expect(lab.requests.count == moved, "a request went out with the key to an API the store does not hold it for")
    }

    /// A section of a provider the company does not use is never probed, so
    /// the store vouches for nothing there: switching to it (with another
    /// provider's key) gets no key sent.
    @Test func anIgnoredSectionEarnsNoTrust() throws {
        let lab = try Lab.shared.get()
        let ws = try workspace("switch", domain: "sg.example.test", region: "global").usingStoreKey()
        let env = lab.stub.env.merging([Self.variable("switch"): lab.stub.keys["full"]!]) { a, _ in a }
        try ws.edit("companies/switch.yaml", "provider: sendgrid", "provider: platform")
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        try ws.edit("companies/switch.yaml", "provider: platform", "provider: sendgrid")
        let before = lab.requests.count
        let probed = try ws.run(["probe", "--no-dns", "companies"], environment: env)
        #expect(probed.stdout.contains("not checked") && probed.stdout.contains("API key not sent"), "\(probed.stdout)")
        #expect(lab.requests.count == before, "the key went to SendGrid for a section the store held unused")
    }

    /// A store row whose text SQLite would cut at a NUL, or that is not
    /// text, stops the plan and names the company; nothing is planned from it.
    @Test func aStoreValueThatIsNotCleanTextStopsThePlan() throws {
        let lab = try Lab.shared.get()
        let ws = try workspace("nul", domain: "sg.example.test", region: "global").usingStoreKey()
        let env = [Self.variable("nul"): lab.stub.keys["full"]!]
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        for value in ["'global'||char(0)||'us'", "CAST('global' AS BLOB)", "5"] {
            let db = try DatabaseQueue(path: ws.storePath)
            try db.write { try $0.execute(sql: "UPDATE sendgrid_settings SET region = \(value)") }
            try db.close()
            let plan = try ws.run(["plan", "companies", "--detailed-exitcode"], environment: env)
            #expect(plan.exitCode == 1 && plan.stderr.contains("sendgrid_settings.region of company nul holds a value mailform cannot read"),
                    "\(value): \(plan.exitCode) \(plan.stdout)\(plan.stderr)")
        }
    }

    /// Plan, apply, the store's table, saved plans and export.
    @Test func planApplyAndExport() throws {
        let lab = try Lab.shared.get()
        let ws = try workspace("acme", domain: "sg.example.test", region: "global").usingStoreKey()
        let env = [Self.variable("acme"): lab.stub.keys["full"]!]
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        let row = try ws.database().read { db in try Row.fetchOne(db, sql: "SELECT * FROM sendgrid_settings WHERE company_id = 'acme'") }
        #expect(row?["domain"] as String? == "sg.example.test" && row?["region"] as String? == "global")
        #expect(try Data(contentsOf: URL(fileURLWithPath: ws.storePath)).range(of: Data(lab.stub.keys["full"]!.utf8)) == nil)
        try ws.edit("companies/acme.yaml", "region: global", "region: eu")
        let saved = try ws.run(["plan", "companies", "--out", "plan.json"], environment: env)
        #expect(saved.stdout.contains("sendgrid.region") && saved.stdout.contains("\"global\" -> \"eu\""), "\(saved.stdout)")
        #expect(try ws.run(["apply", "plan.json", "--no-probe"], environment: env).exitCode == 0)
        #expect(try ws.run(["plan", "companies"], environment: env).stdout.contains("No changes"))
        let exported = try ws.run(["export", "--out", "exported", "--force"], environment: env)
        #expect(exported.exitCode == 0, "\(exported.stderr)")
        let file = try ws.read("exported/companies/acme.yaml")
        #expect(file.contains("sendgrid:\n  api_key: ${env:MAILFORM_ACME__SENDGRID_API_KEY}\n  domain: sg.example.test\n  region: eu\n"), "\(file)")
    }
}

import Foundation
import GRDB
import Testing
import TestServerSupport

/// `provider: mailchimp` (Mailchimp Transactional, formerly Mandrill) from
/// the command line, against `Tests/Servers/mailchimp_stub.py`, which
/// answers as the real API does (docs/provider-apis.md), hostile modes
/// included: every answer is classified with its hint at the field to
/// change, the key never shows, and the store, plans and export carry the
/// section like Mailgun's.
@Suite(.serialized)
struct MailchimpTests {
    struct Stub: Decodable {
        var url: String
        var other_url: String
        var key: String
    }

    final class Lab: @unchecked Sendable {
        let fake: ProviderFake
        let stub: Stub
        static let shared = Result { try Lab() }
        private init() throws {
            fake = try ProviderFake("mailchimp")
            stub = try fake.info(Stub.self)
        }
        var requests: [String] { fake.requests }
        var leaks: String { fake.leaks }
    }

    static func company(_ id: String, domain: String) -> String {
        """
        company: \(id)
        sender:
          email: no-reply@\(domain)
        provider: mailchimp
        mailchimp:
          api_key: ${env:MAILFORM_\(id.uppercased().replacingOccurrences(of: "-", with: "_"))__MAILCHIMP_API_KEY}
          domain: \(domain)

        """
    }

    static func variable(_ id: String) -> String { "MAILFORM_\(id.uppercased().replacingOccurrences(of: "-", with: "_"))__MAILCHIMP_API_KEY" }

    func workspace(_ companies: [String: String]) throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: saas\nstore: ./mailform.db\nprobe:\n  timeout: 2s\n")
        for (id, domain) in companies { try ws.write("companies/\(id).yaml", Self.company(id, domain: domain)) }
        return ws
    }

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var domain: String
        var key: String?
        var failure: String?
        var fragment = ""
        /// The line the hint is shown at: 6 is api_key, 7 is domain.
        var line: Int?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ok", domain: "mc.example.test"),
        Case(name: "wrong-key", domain: "mc.example.test", key: "not-the-key", failure: "mailchimp-key-rejected", fragment: "Invalid_Key", line: 6),
        Case(name: "unknown-domain", domain: "nowhere.example.test", failure: "mailchimp-domain-unknown", fragment: "has no sending domain", line: 7),
        Case(name: "unverified", domain: "mc-unverified.example.test", failure: "mailchimp-domain-unverified", fragment: "not verified", line: 7),
        Case(name: "bad-spf", domain: "mc-badspf.example.test", failure: "mailchimp-domain-dns", fragment: "SPF", line: 7),
        Case(name: "bad-dkim", domain: "mc-baddkim.example.test", failure: "mailchimp-domain-dns", fragment: "DKIM", line: 7),
        Case(name: "no-signing", domain: "mc-nosign.example.test", failure: "mailchimp-domain-dns", fragment: "valid_signing is false", line: 7),
        // A key with a line break is never sent (it could end a header and start others).
        Case(name: "line-break-key", domain: "mc.example.test", key: "Zq7Xv2LmP9\r\nX-Injected: yes", failure: "mailchimp-key-rejected",
             fragment: "it was not sent", line: 6),
        Case(name: "echoed-key", domain: "mc.example.test", key: "echo-Zq7Xv2LmP9sRt4Kw8Nb", failure: "mailchimp-key-rejected", fragment: "Invalid_Key", line: 6),
        Case(name: "huge-answer", domain: "mc.example.test", key: "huge-Zq7Xv2LmP9sRt4Kw8Nb", failure: "mailchimp-response", fragment: "more than 1 MiB"),
        Case(name: "redirect", domain: "mc.example.test", key: "redirect-Zq7Xv2LmP9sRt4Kw8Nb", failure: "mailchimp-response", fragment: "HTTP 302"),
        Case(name: "slow-answer", domain: "mc.example.test", key: "slow-Zq7Xv2LmP9sRt4Kw8Nb", failure: "timeout", fragment: "could not be reached"),
    ]

    @Test(arguments: cases)
    func eachAnswerIsClassified(_ c: Case) throws {
        let lab = try Lab.shared.get()
        let ws = try workspace([c.name: c.domain])
        let key = c.key ?? lab.stub.key
        let started = Date()
        let result = try ws.run(["probe", "--send-credentials", "--no-dns", "companies", "--format", "json"],
                                environment: ["MAILFORM_MAILCHIMP_URL": lab.stub.url, Self.variable(c.name): key])
        #expect(Date().timeIntervalSince(started) < 2 + 2.5, "the probe's timeout bounds a slow answer")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
        let entry = try #require((object["results"] as? [[String: Any]])?.first, "\(object)")
        #expect(entry["endpoint_path"] as? String == "mailchimp")
        let failure = entry["failure"] as? [String: Any]
        if let expected = c.failure {
            #expect(result.exitCode == 3)
            #expect(failure?["kind"] as? String == expected, "\(entry)")
            #expect((failure?["message"] as? String)?.contains(c.fragment) == true, "\(failure ?? [:])")
            if let line = c.line { #expect(entry["line"] as? Int == line, "the hint's line: \(entry)") }
        } else {
            #expect(result.exitCode == 0, "\(entry)")
            #expect(entry["domain_state"] as? String == "verified")
        }
        // The key never shows, even when the server echoes it; a redirect is never followed with it.
        #expect(!result.stdout.contains(key) && !result.stderr.contains(key))
        #expect(lab.leaks.isEmpty, "the key went to the redirect's target: \(lab.leaks)")
    }

    /// A pull request that points a stored key at another domain gets no
    /// request sent with it; the store's own section still is probed.
    @Test func theKeyGoesOnlyWhereTheStoreHoldsIt() throws {
        let lab = try Lab.shared.get()
        let ws = try workspace(["gated": "mc.example.test"]).usingStoreKey()
        let env = ["MAILFORM_MAILCHIMP_URL": lab.stub.url, Self.variable("gated"): lab.stub.key]
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        // Without --send-credentials, the key goes to the API only for the section the store holds.
        let before = lab.requests.count
        let known = try ws.run(["probe", "--no-dns", "companies"], environment: env)
        #expect(known.exitCode == 0 && lab.requests.count > before, "\(known.stdout)")
        try ws.edit("companies/gated.yaml", "domain: mc.example.test", "domain: mc-unverified.example.test")
        let moved = lab.requests.count
        let changed = try ws.run(["probe", "--no-dns", "companies"], environment: env)
        #expect(changed.stdout.contains("API key not sent"), "\(changed.stdout)")
        #expect(lab.requests.count == moved, "a request went out with the key for a domain the store does not hold")
    }

    /// Plan, apply, the store's own table, sealed secrets, saved plans and
    /// export, as Mailgun's section has them.
    @Test func planApplyAndExport() throws {
        let lab = try Lab.shared.get()
        let ws = try workspace(["acme": "mc.example.test"]).usingStoreKey()
        let env = [Self.variable("acme"): lab.stub.key]
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env)
        try #require(applied.exitCode == 0, "\(applied.stdout)\(applied.stderr)")
        let row = try ws.database().read { db in try Row.fetchOne(db, sql: "SELECT * FROM mailchimp_settings WHERE company_id = 'acme'") }
        #expect(row?["domain"] as String? == "mc.example.test" && row?["api_key_secret"] as String? == "mailchimp.api_key")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ws.storePath))
        #expect(bytes.range(of: Data(lab.stub.key.utf8)) == nil, "the key is sealed at rest")
        #expect(try ws.run(["plan", "companies"], environment: env).stdout.contains("No changes"))
        // A changed domain in a saved plan, applied from the file.
        try ws.edit("companies/acme.yaml", "domain: mc.example.test", "domain: mc-badspf.example.test")
        let saved = try ws.run(["plan", "companies", "--out", "plan.json"], environment: env)
        #expect(saved.stdout.contains("mailchimp.domain") && saved.stdout.contains("mc-badspf.example.test"), "\(saved.stdout)")
        #expect(!(try ws.read("plan.json")).contains(lab.stub.key))
        let fromFile = try ws.run(["apply", "plan.json", "--no-probe"], environment: env)
        #expect(fromFile.exitCode == 0, "\(fromFile.stdout)\(fromFile.stderr)")
        // Export writes the section back with the store's reference: the files plan to no change.
        let exported = try ws.run(["export", "--out", "exported", "--force"], environment: env)
        #expect(exported.exitCode == 0, "\(exported.stdout)\(exported.stderr)")
        let file = try ws.read("exported/companies/acme.yaml")
        #expect(file.contains("provider: mailchimp\n") && file.contains("mailchimp:\n  api_key: ${env:MAILFORM_ACME__MAILCHIMP_API_KEY}\n  domain: mc-badspf.example.test\n"), "\(file)")
    }
}

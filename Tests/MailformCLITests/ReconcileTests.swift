import Foundation
import GRDB
import JSONSchema
import Testing
import MailformCore
@testable import MailformStore

/// plan / apply / saved plans / history, run as the binary on real SQLite files.
@Suite(.serialized)
struct ReconcileTests {
    @Test func planApplyPlanAgainIsEmpty() throws {
        let ws = try ExampleWorkspace()
        let first = try ws.run(["plan", "companies", "--detailed-exitcode"])
        #expect(first.exitCode == 2)
        #expect(first.stdout.contains("Plan: 8 to add, 0 to change, 0 to delete; 0 unchanged."))
        // A read-only plan creates no files: no key, no store.
        #expect(!first.stderr.contains("created the store key"))
        #expect(!FileManager.default.fileExists(atPath: ws.storePath + ".key"))
        let apply = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--actor", "ci-bot"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        #expect(apply.stderr.contains("created the store key"))
        #expect(apply.stdout.contains("Apply complete: 8 added, 0 changed, 0 deleted (store revision 1)."))
        #expect(try ws.companyCount() == 8)
        let again = try ws.run(["plan", "companies", "--detailed-exitcode"])
        #expect(again.exitCode == 0)
        #expect(again.stdout.contains("No changes."))
        #expect(again.stdout.contains("Plan: 0 to add, 0 to change, 0 to delete; 8 unchanged."))
        let history = try ws.run(["history", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as! [String: Any]
        let revisions = object["revisions"] as! [[String: Any]]
        #expect(revisions.count == 1)
        #expect(revisions[0]["actor"] as? String == "ci-bot")
        #expect((revisions[0]["changes"] as? [[String: Any]])?.count == 8)
        let keyMode = try FileManager.default.attributesOfItem(atPath: ws.storePath + ".key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let storeMode = try FileManager.default.attributesOfItem(atPath: ws.storePath)[.posixPermissions] as? Int
        #expect((storeMode ?? 0o777) & 0o007 == 0, "store is world-readable")
    }

    /// Golden plans in the three formats, for edits, a rotated secret, a new
    /// company and a company removed from the files (unmanaged, then --prune).
    @Test(arguments: ["text", "json", "markdown"])
    func goldenPlan(_ format: String) throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Privacidade")
        try ws.edit("companies/acme.yaml", "ssl_protocols: [TLSv1.2, TLSv1.3]\nsmtp_pools", "ssl_protocols: [TLSv1.3]\nsmtp_pools")
        try ws.write("secrets/globex-smtp.txt", "FAKE-rotated-globex\n")
        try ws.edit("companies/initech.yaml", "region: us", "region: eu")
        try ws.remove("companies/latam/hooli.yaml")
        try ws.write("companies/wayne.yaml", """
            company: wayne
            name: Wayne Enterprises
            sender:
              email: no-reply@wayne.example.com
            provider: platform

            """)
        for prune in [false, true] {
            var arguments = ["plan", "companies", "--format", format]
            if prune { arguments.append("--prune") }
            let result = try ws.run(arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let name = "plan-\(prune ? "prune" : "changes").\(format == "markdown" ? "md" : format == "json" ? "json" : "txt")"
            Snapshot.assertMatches(result.stdout, file: CommandRunner.packageRoot.appendingPathComponent("Tests/MailformCLITests/Fixtures/plan/golden/\(name)"))
        }
    }

    @Test func savedPlanAppliesExactlyOrRefusesWhenStale() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: ACME Reviewed")
        let plan = try ws.run(["plan", "companies", "--out", "reviewed.json"])
        #expect(plan.exitCode == 0)
        // Someone else changes acme before the reviewed plan is applied.
        try ws.edit("companies/acme.yaml", "name: ACME Reviewed", "name: ACME Hotfix")
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let before = try ws.storeDump()
        let stale = try ws.run(["apply", "reviewed.json", "--no-probe"])
        #expect(stale.exitCode == 1)
        #expect(stale.stderr.contains("stale plan: company acme changed since the plan (company revision 1 -> 2); run plan again [plan-stale]\n"),
                "\(stale.stderr)")
        #expect(try ws.storeDump() == before)

        // A fresh reviewed plan applies exactly what it says.
        try ws.edit("companies/acme.yaml", "name: ACME Hotfix", "name: ACME Reviewed")
        try #require(try ws.run(["plan", "companies", "--out", "reviewed.json"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Reviewed", "name: ACME Not Reviewed")
        let applied = try ws.run(["apply", "reviewed.json", "--no-probe"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        let name = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT sender_name FROM companies WHERE id = 'acme'") }
        #expect(name == "ACME Reviewed")
    }

    /// Apply checks each company of a saved plan as a file written to a
    /// private folder (an image logo beside it); the folder and every file
    /// in it are gone when the apply ends, whether it wrote or refused.
    @Test func aSavedPlanIsCheckedInAFolderThatIsRemoved() throws {
        let ws = try ExampleWorkspace().usingStoreKey()
        try #require(try ws.run(["plan", "companies", "--out", "all.json"]).exitCode == 0)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-tmp-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let applied = try ws.run(["apply", "all.json", "--no-probe"], environment: ["TMPDIR": scratch.path])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try ws.companyCount() == 8)
        // The image logo was checked from the plan's bytes and written as the files name it.
        let logo = try ws.database().read { db in
            try Row.fetchOne(db, sql: "SELECT logo_file_name, length(logo_data) AS size FROM companies WHERE id = 'acme'")
        }
        #expect(logo?["logo_file_name"] == "../logos/acme.png")
        #expect((logo?["size"] as Int?) ?? 0 > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
        // A refused plan (the store changed) cleans up the same way.
        let stale = try ws.run(["apply", "all.json", "--no-probe"], environment: ["TMPDIR": scratch.path])
        #expect(stale.exitCode == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
        // A TMPDIR that cannot hold the folder is named, with the reason, once.
        let missing = scratch.appendingPathComponent("missing").path
        try FileManager.default.removeItem(atPath: ws.storePath)
        let refused = try ws.run(["apply", "all.json", "--no-probe"], environment: ["TMPDIR": missing])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("cannot create a temporary folder in \(missing)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("No such file or directory; nothing was written"), "\(refused.stderr)")
        #expect(refused.stderr.components(separatedBy: "temporary folder").count == 2, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
    }

    /// Even signed with the store key, a saved plan writes only a logo a
    /// company file could have: its media type is the one its bytes show,
    /// and a file name with control characters (or no image extension) is
    /// refused, nothing written.
    @Test func aSignedPlansLogoIsCheckedLikeAFilesLogo() throws {
        let ws = try ExampleWorkspace().usingStoreKey()
        try #require(try ws.run(["plan", "companies", "--out", "all.json"]).exitCode == 0)
        let text = try ws.read("all.json")
        try #require(text.contains("\"media_type\":\"image/png\"") && text.contains("\"file_name\":\"../logos/acme.png\""))
        let keyText = try #require(ws.environment["MAILFORM_STORE_KEY"])
        let box = try SecretBox(key: StoreKey(bytes: [UInt8](try #require(Data(base64Encoded: keyText.trimmingCharacters(in: .whitespacesAndNewlines))))))
        func signed(_ from: String, _ to: String) -> String {
            SavedPlanFile.resigned(text, with: box) { $0.replacingOccurrences(of: from, with: to) }
        }
        try ws.write("html.json", signed("\"media_type\":\"image/png\"", "\"media_type\":\"text/html\""))
        let html = try ws.run(["apply", "html.json", "--no-probe"])
        #expect(html.exitCode == 0, "\(html.stderr)")
        let stored = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT logo_media_type FROM companies WHERE id = 'acme'") }
        #expect(stored == "image/png")
        for name in ["x\\u001b]0;pwned\\u0007.png", "logo.html", "two words.png"] {
            try? FileManager.default.removeItem(atPath: ws.storePath)
            try? FileManager.default.removeItem(atPath: ws.storePath + "-wal")
            try? FileManager.default.removeItem(atPath: ws.storePath + "-shm")
            try ws.write("name.json", signed("\"file_name\":\"../logos/acme.png\"", "\"file_name\":\"\(name)\""))
            let refused = try ws.run(["apply", "name.json", "--no-probe"])
            #expect(refused.exitCode == 1, "\(name): \(refused.stdout)")
            #expect(refused.stderr.contains("the plan's logo has a file name no company file can have"), "\(name): \(refused.stderr)")
            #expect(!refused.stderr.contains("\u{1b}"))
            #expect(try ws.companyCount() == 0)
        }
    }

    @Test func savedPlanRefusesChangedSecretAndTampering() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.write("secrets/acme-smtp.txt", "FAKE-rotated-acme\n")
        try #require(try ws.run(["plan", "companies", "--out", "p.json"]).exitCode == 0)
        let planText = try ws.read("p.json")
        #expect(!planText.contains("FAKE-rotated-acme"))
        let before = try ws.storeDump()

        try ws.write("tampered.json", planText.replacingOccurrences(of: "smtp.acme.com.br", with: "smtp.evil.example.net"))
        let tampered = try ws.run(["apply", "tampered.json", "--no-probe"])
        #expect(tampered.exitCode == 1)
        #expect(tampered.stderr.contains("was modified after it was saved"))
        #expect(!tampered.stderr.contains("hmac-sha256:"), "the refusal must not print the expected MAC")

        // Tampered and re-signed with another key (all an attacker without the store key can do).
        let attackerBox = try SecretBox(key: StoreKey(bytes: Array(repeating: 7, count: 32)))
        try ws.write("forged.json", SavedPlanFile.resigned(planText, with: attackerBox) {
            $0.replacingOccurrences(of: "smtp.acme.com.br", with: "smtp.evil.example.net")
        })
        let resigned = try ws.run(["apply", "forged.json", "--no-probe"])
        #expect(resigned.exitCode == 1)
        #expect(resigned.stderr.contains("signature does not verify") && resigned.stderr.contains("[plan-signature]\n"), "\(resigned.stderr)")
        #expect(try ws.storeDump() == before)

        try ws.write("secrets/acme-smtp.txt", "FAKE-rotated-again\n")
        let stale = try ws.run(["apply", "p.json", "--no-probe"])
        #expect(stale.exitCode == 1)
        #expect(stale.stderr.contains("stale plan: secret smtp.password of company acme changed since the plan"))
        #expect(try ws.storeDump() == before)
        #expect(!stale.stderr.contains("FAKE-rotated"))
    }

    @Test func wrongStoreKeyWritesNothing() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: Other")
        let before = try ws.storeDump()
        let wrong = Data(repeating: 1, count: 32).base64EncodedString()
        let result = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"], environment: ["MAILFORM_STORE_KEY": wrong])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("wrong store key") && result.stderr.contains("[store-key]"), "\(result.stderr)")
        #expect(try ws.storeDump() == before)
        try FileManager.default.removeItem(atPath: ws.storePath + ".key")
        let missing = try ws.run(["plan", "companies"])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr.contains("no store key"))
    }

    @Test func applyNeedsApprovalOffTerminal() throws {
        let ws = try ExampleWorkspace()
        let result = try ws.run(["apply", "companies", "--no-probe"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("apply needs --auto-approve when it is not run on a terminal"))
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
    }

    @Test func invalidFilesWriteNothing() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let before = try ws.storeDump()
        try ws.edit("companies/acme.yaml", "port: 587\n  username: mailer", "port: 25\n  username: mailer")
        try ws.edit("companies/globex.yaml", "name: Globex Corporation", "name: Globex Changed")
        let result = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("companies/acme.yaml:14:9: error: port 25 is not accepted in saas mode"))
        #expect(result.stderr.contains("nothing was written"))
        #expect(try ws.storeDump() == before)
    }

    @Test func safetyLimitsStopOversizedChanges() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("mailform.yaml", "max_deletes: 5", "max_deletes: 1")
        try ws.remove("companies/latam/hooli.yaml")
        try ws.remove("companies/initech.yaml")
        let before = try ws.storeDump()
        let refused = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--prune"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("apply would delete 2 companies, over safety.max_deletes 1"))
        #expect(try ws.storeDump() == before)
        let forced = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--prune", "--force"])
        #expect(forced.exitCode == 0)
        #expect(try ws.companyCount() == 6)

        // Changing 4 of 6 companies is over a 50% share (counted from 6 companies on).
        try ws.edit("mailform.yaml", "max_changed_percent: 30", "max_changed_percent: 50\n  min_existing: 6")
        for file in ["companies/acme.yaml", "companies/globex.yaml", "companies/stark.yaml", "companies/contoso.yaml"] {
            let text = try ws.read(file)
            try ws.write(file, text.replacingOccurrences(of: "\nname: ", with: "\nname: New "))
        }
        let share = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(share.exitCode == 1)
        #expect(share.stderr.contains("apply would change 66.7% of the companies in the store (4/6), over safety.max_changed_percent 50%"))
        let batch = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--company", "acme", "--company", "glob*"])
        #expect(batch.exitCode == 0, "\(batch.stderr)")
        #expect(batch.stdout.contains("Apply complete: 0 added, 2 changed, 0 deleted"))
    }

    @Test func secondApplyReportsTheLock() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: Locked Out")
        let before = try ws.storeDump()
        // Another apply holds the write lock.
        let holder = try DatabaseQueue(path: ws.storePath)
        let started = Date()
        let result: CommandResult = try holder.inDatabase { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            defer { try? db.execute(sql: "ROLLBACK") }
            return try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--lock-timeout", "1"])
        }
        #expect(result.exitCode == 1)
        #expect(result.stderr.contains("store is locked by another apply"))
        #expect(Date().timeIntervalSince(started) >= 1)
        #expect(try ws.storeDump() == before)
    }

    /// Two applies at once, each from its own process and files: exactly the
    /// successful ones are recorded, and the store matches one of them whole.
    @Test func concurrentAppliesLoseNoUpdate() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let other = try ExampleWorkspace()
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: From A")
        try other.edit("companies/acme.yaml", "name: ACME Privacy", "name: From B")
        try other.edit("companies/globex.yaml", "name: Globex Privacy Team", "name: From B")
        let env = ["MAILFORM_STORE": ws.storePath]
        let results = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let target = i == 0 ? ws : other
            let r = try? target.run(["apply", "companies", "--auto-approve", "--no-probe", "--force", "--store", ws.storePath], environment: env)
            results.append(r)
        }
        let codes = results.all.compactMap { $0?.exitCode }
        #expect(codes.count == 2)
        let succeeded = codes.filter { $0 == 0 }.count
        #expect(succeeded >= 1)
        // Both changed acme. Both may succeed only one after the other, the
        // second having planned against the first's result (its plan shows
        // "From A" -> "From B" or the reverse); two applies that both planned
        // against the original store and both wrote would be a lost update.
        if succeeded == 2 {
            // A line from one's value to the other's (alone, or in a group: `"From A", "Globex …" -> "From B"`).
            let sawTheOther = results.all.compactMap { $0 }.contains { r in
                r.stdout.split(separator: "\n").contains { line in
                    (line.contains("\"From A\"") && line.hasSuffix("-> \"From B\"")) || (line.contains("\"From B\"") && line.hasSuffix("-> \"From A\""))
                }
            }
            #expect(sawTheOther, "both applies wrote acme, neither planned against the other's result: a lost update")
        }
        for r in results.all.compactMap({ $0 }) where r.exitCode != 0 {
            #expect(r.stderr.contains("stale plan") || r.stderr.contains("locked"), "\(r.stderr)")
        }
        #expect(try ws.revisionCount() == 1 + succeeded)
        let names = try ws.database().read { db in
            try Row.fetchAll(db, sql: "SELECT id, sender_name FROM companies WHERE id IN ('acme', 'globex') ORDER BY id").map { "\($0["sender_name"] as String)" }
        }
        #expect(names == ["From A", "Globex Privacy Team"] || names == ["From B", "From B"] || names == ["From A", "From B"] && succeeded == 2,
                "\(names)")
    }

    /// The first applies of a new store race to create its key file: the
    /// one that loses reads the winner's key (written whole, then linked into
    /// place) instead of failing on it; every secret is under one key.
    @Test func firstAppliesOfANewStoreShareOneKey() throws {
        let ws = try ExampleWorkspace()
        let other = try ExampleWorkspace()
        for round in 0..<6 {
            let store = ws.path("race-\(round).db")
            let results = LockedResults()
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                results.append(try? (i == 0 ? ws : other).run(["apply", "companies", "--company", i == 0 ? "acme" : "globex",
                                                                "--auto-approve", "--no-probe", "--store", store]))
            }
            let all = results.all.compactMap { $0 }
            #expect(all.count == 2)
            for r in all where r.exitCode != 0 {
                #expect(r.stderr.contains("stale plan") || r.stderr.contains("locked"), "round \(round): \(r.stderr)")
                #expect(!r.stderr.contains("key file"), "round \(round): \(r.stderr)")
            }
            #expect(all.contains { $0.exitCode == 0 })
            let text = try String(contentsOfFile: store + ".key", encoding: .utf8)
            let key = try #require(Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(key.count == 32)
            var config = Configuration()
            config.readonly = true
            let keyIDs = try DatabaseQueue(path: store, configuration: config).read { db in try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM secrets") }
            #expect(keyIDs == [String(Digest.sha256Hex([UInt8](key)).prefix(16))], "round \(round)")
            // Only the key file is left beside the store, no half-made one.
            let left = try FileManager.default.contentsOfDirectory(atPath: ws.root.path).filter { $0.hasPrefix("race-\(round).db.key") }
            #expect(left == ["race-\(round).db.key"], "\(left)")
        }
    }

    /// Two applies that change different companies at once: both may write,
    /// and neither change may be lost.
    @Test func concurrentAppliesOfDifferentCompaniesKeepBoth() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let other = try ExampleWorkspace()
        try ws.edit("companies/acme.yaml", "name: ACME Privacy", "name: From A")
        try other.edit("companies/globex.yaml", "name: Globex Privacy Team", "name: From B")
        let results = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let target = i == 0 ? ws : other
            // Each applies only its own company (the other's file is the old state).
            results.append(try? target.run(["apply", "companies", "--company", i == 0 ? "acme" : "globex", "--auto-approve", "--no-probe",
                                            "--force", "--store", ws.storePath]))
        }
        let all = results.all.compactMap { $0 }
        #expect(all.count == 2)
        let succeeded = all.filter { $0.exitCode == 0 }.count
        for r in all where r.exitCode != 0 { #expect(r.stderr.contains("stale plan") || r.stderr.contains("locked"), "\(r.stderr)") }
        let names = try ws.database().read { db in
            try Row.fetchAll(db, sql: "SELECT id, sender_name FROM companies WHERE id IN ('acme', 'globex') ORDER BY id").map { "\($0["sender_name"] as String)" }
        }
        // Every apply that reported success is in the store.
        let expected = [all.first { $0.stdout.contains("From A") && $0.exitCode == 0 } != nil ? "From A" : "ACME Privacy",
                        all.first { $0.stdout.contains("From B") && $0.exitCode == 0 } != nil ? "From B" : "Globex Privacy Team"]
        #expect(names == expected, "\(names) after \(succeeded) successful applies")
        #expect(try ws.revisionCount() == 1 + succeeded)
    }
}

final class LockedResults: @unchecked Sendable {
    private var values: [CommandResult?] = []
    private let lock = NSLock()
    func append(_ r: CommandResult?) { lock.lock(); values.append(r); lock.unlock() }
    var all: [CommandResult?] { lock.lock(); defer { lock.unlock() }; return values }
}

/// The JSON plan output conforms to the published plan schema, checked with
/// mailform's own validator; the markdown comment fits GitHub's limit.
struct PlanFormatTests {
    @Test func jsonPlanMatchesItsSchema() throws {
        let ws = try ExampleWorkspace()
        try #require(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.write("secrets/acme-smtp.txt", "FAKE-changed\n")
        try ws.remove("companies/latam/hooli.yaml")
        let plan = try ws.run(["plan", "companies", "--format", "json", "--prune"])
        let schema = try CommandRunner.run(["schema", "plan"]).stdout
        let validator = try Validator(schemaJSON: schema)
        let violations = validator.validate(try JSONParser.parse(plan.stdout))
        #expect(violations.isEmpty, "\(violations.map(\.message))")
        // A sensitive value in the output would break the schema.
        let leaked = plan.stdout.replacingOccurrences(of: "\"sensitive\" : true", with: "\"sensitive\" : true, \"current\" : \"x\"")
        #expect(!validator.validate(try JSONParser.parse(leaked)).isEmpty)
    }

    @Test func markdownOfTenThousandCompaniesFitsOneComment() throws {
        let ws = try ExampleWorkspace(generated: 10_000)
        let plan = try ws.run(["plan", "companies", "--format", "markdown"])
        #expect(plan.exitCode == 0)
        #expect(plan.stdout.utf8.count <= 65_535)
        #expect(plan.stdout.contains("**Plan: 10,000 to add, 0 to change, 0 to delete; 0 unchanged.**"))
        #expect(plan.stdout.contains("Cut to fit one comment:"))
        #expect(plan.stdout.contains("<details>"))
    }
}

/// Every command answers --format json with JSON, and init scaffolds a
/// workspace that validates, without overwriting anything.
struct OutputFormatTests {
    @Test func everyCommandHonoursFormatJSON() throws {
        let ws = try ExampleWorkspace()
        // Each command's documented top-level keys: `{}` (what a failed
        // serialisation once printed) or any other shape fails.
        let commands: [([String], Set<String>)] = [
            (["init", "fresh", "--format", "json"], ["created", "mode"]),
            (["validate", "companies", "--format", "json"], ["companies", "diagnostics", "errors", "files", "warnings"]),
            (["plan", "companies", "--format", "json"], ["adopted_drift", "against", "change_set", "changes", "format_version", "groups", "notices", "recorded_references", "summary", "trusted_settings_changed", "unmanaged", "waived"]),
            (["apply", "companies", "--auto-approve", "--no-probe", "--format", "json"], ["added", "changed", "deleted", "left_out", "plan", "revision"]),
            (["probe", "companies/latam/hooli.yaml", "--format", "json"], ["results", "skipped", "summary"]),
            (["history", "--format", "json"], ["revisions"]),
            (["export", "--out", "exported", "--format", "json"], ["companies", "edited", "files", "rewritten", "secrets", "secrets_out", "unchanged"]),
        ]
        for (command, keys) in commands {
            let result = try ws.run(command)
            #expect(result.exitCode == 0, "\(command): \(result.stderr)")
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object.map { Set($0.keys) } == keys, "\(command) printed: \(result.stdout.prefix(200))")
        }
    }

    @Test func initScaffoldsAndNeverOverwrites() throws {
        let ws = try ExampleWorkspace(copying: [])
        let first = try ws.run(["init", "tenants"])
        #expect(first.exitCode == 0)
        for file in ["tenants/mailform.yaml", "tenants/companies/example.yaml", "tenants/.gitignore", "tenants/.mailformignore"] {
            #expect(FileManager.default.fileExists(atPath: ws.path(file)), "\(file)")
        }
        #expect(try ws.read("tenants/.gitignore").contains("secrets/"))
        #expect(try ws.run(["validate", "tenants"]).exitCode == 0)
        try ws.write("tenants/companies/example.yaml", "company: mine\n")
        let second = try ws.run(["init", "tenants"])
        #expect(second.exitCode == 1)
        #expect(second.stderr.contains("already exist"))
        #expect(try ws.read("tenants/companies/example.yaml") == "company: mine\n")
    }

    @Test func completionScriptsAreGenerated() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try CommandRunner.run(["--generate-completion-script", shell])
            #expect(result.exitCode == 0)
            #expect(result.stdout.contains("validate") && result.stdout.contains("apply"))
        }
    }
}

import Foundation
import GRDB
import Testing

/// Fleet operations (issue 21), run as the binary on real SQLite files:
/// the named store and --create-store, safety limits for small stores,
/// --company reading only its own secrets, waivers, drift from the
/// platform's settings page, and grouped review.
@Suite(.serialized)
struct FleetTests {
    /// git with a committer set; its output, trimmed. Fails the test when git does.
    static func git(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git \(arguments)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A writable connection to the store, as the platform's settings page has one.
    static func settingsPage(_ ws: ExampleWorkspace, _ sql: String) throws {
        let queue = try DatabaseQueue(path: ws.storePath)
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// Applies `edit` to every company file of a generated workspace; the
    /// number of files it changed.
    static func editEveryCompany(_ ws: ExampleWorkspace, _ edit: (String) -> String) throws -> Int {
        let folder = ws.path("companies")
        var changed = 0
        for case let file as String in FileManager.default.enumerator(atPath: folder)! where file.hasSuffix(".yaml") {
            let path = folder + "/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let edited = edit(text)
            guard edited != text else { continue }
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            changed += 1
        }
        return changed
    }

    @Test func applyNeverStartsAStoreSilently() throws {
        let ws = try ExampleWorkspace()
        ws.startsStore = false
        let refused = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(refused.exitCode == 1)
        #expect(refused.stderr.contains("no store at mailform.db; nothing was written [store-not-found]\n"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--create-store"))
        // Nothing at all was written: no store, no key file.
        #expect(!FileManager.default.fileExists(atPath: ws.storePath))
        #expect(!FileManager.default.fileExists(atPath: ws.storePath + ".key"))
        let created = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--create-store"])
        #expect(created.exitCode == 0, "\(created.stderr)")
        #expect(try ws.companyCount() == 8)
        // A mistyped path is refused with the store it may have meant.
        let typo = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--store", "mailfrom.db"])
        #expect(typo.exitCode == 1)
        #expect(typo.stderr.contains("no store at mailfrom.db (did you mean mailform.db?); nothing was written"), "\(typo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.path("mailfrom.db")))
        // So do the commands that read a store.
        for arguments in [["history"], ["export", "--out", "exported"], ["snapshot", "--out", "s.json"]] {
            let read = try ws.run(arguments + ["--store", "mailfrom.db"])
            #expect(read.exitCode == 1 && read.stderr.contains("no store at mailfrom.db (did you mean mailform.db?)"), "\(arguments): \(read.stderr)")
        }
        let missingFolder = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--store", "nowhere/x.db"])
        #expect(missingFolder.exitCode == 1 && missingFolder.stderr.contains("its folder nowhere does not exist"), "\(missingFolder.stderr)")
        // With --create-store too: the folder is named, not the key file it could not make.
        let missingCreated = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--store", "nowhere/x.db", "--create-store"])
        #expect(missingCreated.exitCode == 1 && missingCreated.stderr.contains("the store's folder nowhere does not exist"), "\(missingCreated.stderr)")
        #expect(!missingCreated.stderr.contains("key file"), "\(missingCreated.stderr)")
        // plan names the store it compared against: path, id, revision, count.
        let plan = try ws.run(["plan", "companies"])
        let storeID = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'") } ?? "?"
        #expect(plan.stdout.contains("Planned against store mailform.db (store \(storeID), store revision 1, 8 companies)."), "\(plan.stdout)")
        let json = try ws.run(["plan", "companies", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let against = object["against"] as! [String: Any]
        #expect(against["store_revision"] as? Int == 1 && against["companies"] as? Int == 8 && against["store_id"] as? String == storeID)
    }

    @Test func thePercentLimitCountsFromMinExisting() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        // 3 of 8 companies (37.5%): the store is under min_existing (10), so no limit.
        for file in ["acme", "globex", "stark"] { try ws.edit("companies/\(file).yaml", "\nname: ", "\nname: X ") }
        let saved = try ws.run(["plan", "companies", "--out", "plan.json"])
        #expect(saved.exitCode == 0)
        #expect(!saved.stderr.contains("safety limit"))
        try ws.edit("mailform.yaml", "max_changed_percent: 30", "max_changed_percent: 30\n  min_existing: 8")
        let over = try ws.run(["plan", "companies", "--out", "plan.json"])
        #expect(over.exitCode == 0)
        // Said when the plan is saved, not first when it is applied.
        #expect(over.stderr.contains("the saved plan is over a safety limit: apply would change 37.5% of the companies in the store (3/8)"), "\(over.stderr)")
        let refused = try ws.run(["apply", "plan.json", "--no-probe"])
        #expect(refused.exitCode == 1 && refused.stderr.contains("over safety.max_changed_percent"))
        #expect(try ws.run(["apply", "plan.json", "--no-probe", "--force"]).exitCode == 0)
        try ws.edit("mailform.yaml", "min_existing: 8", "min_existing: -1")
        let invalid = try ws.run(["validate", "companies"])
        #expect(invalid.exitCode == 1 && invalid.stdout.contains("mailform.yaml:"), "\(invalid.stdout)\(invalid.stderr)")
    }

    @Test func aPlanOfOneCompanyReadsOnlyItsSecrets() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "\nname: ACME Ltda\n", "\nname: ACME New\n")
        try ws.remove("secrets/globex-smtp.txt")
        let whole = try ws.run(["plan", "companies"])
        #expect(whole.exitCode == 1 && (whole.stderr + whole.stdout).contains("globex-smtp.txt"))
        let scoped = try ws.run(["plan", "companies", "--company", "acme"])
        #expect(scoped.exitCode == 0, "\(scoped.stderr)")
        #expect(scoped.stdout.contains("Plan: 0 to add, 1 to change, 0 to delete; 0 unchanged; 7 other companies not planned (--company)."), "\(scoped.stdout)")
        let applied = try ws.run(["apply", "companies", "--company", "acme", "--auto-approve", "--no-probe"])
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        // probe --company too: another company's missing secret is not read.
        // (Mailgun's API is pointed at a closed port on 127.0.0.1: refused, exit 3.)
        let closed = ["MAILFORM_MAILGUN_US_URL": "http://127.0.0.1:9", "MAILFORM_MAILGUN_EU_URL": "http://127.0.0.1:9"]
        let probed = try ws.run(["probe", "companies", "--company", "initech", "--no-dns"], environment: closed)
        #expect(!(probed.stderr + probed.stdout).contains("globex-smtp.txt"), "\(probed.stderr)")
        #expect(probed.exitCode == 3 && probed.stdout.contains("initech"), "\(probed.stdout)\n\(probed.stderr)")
        // A section for another provider is ignored: its secret is never read, nor stored.
        try ws.write("companies/acme.yaml", try ws.read("companies/acme.yaml")
                     + "sendgrid:\n  api_key: ${env:MAILFORM_ACME__SENDGRID_API_KEY}\n  domain: acme.example.com\n")
        let ignored = try ws.run(["plan", "companies", "--company", "acme"])
        #expect(ignored.exitCode == 0, "\(ignored.stderr)")
        #expect(ignored.stderr.contains("[unused-provider-settings]") && ignored.stdout.contains("No changes"), "\(ignored.stdout)\n\(ignored.stderr)")
        // Another company's invalid file still fails the run (it is validated).
        try ws.write("companies/globex.yaml", try ws.read("companies/globex.yaml") + "provider: smtq\n")
        #expect(try ws.run(["plan", "companies", "--company", "acme"]).exitCode == 1)
    }

    static let waived = """
        dsar_sender:
          email: datenschutz@privacy.initech.example.de
        waivers:
          - rule: dsar-sender-domain
            reason: the DPO's address is on the privacy subdomain
            until: 2099-12-31

        """

    @Test func aWaiverNeedsTheTrustedWorkspaceAndAReasonAndEnds() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.write("companies/initech.yaml", try ws.read("companies/initech.yaml") + Self.waived)
        let line = try ws.read("companies/initech.yaml").split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.contains("- rule: dsar-sender-domain") }! + 1
        // Not waivable: a located error, and the rule stays an error.
        let refused = try ws.run(["validate", "companies"])
        #expect(refused.exitCode == 1)
        #expect(refused.stdout.contains("companies/initech.yaml:\(line):11: error: waivers: rule 'dsar-sender-domain' is not waivable in this workspace [waiver]"), "\(refused.stdout)")
        #expect(refused.stdout.contains("[dsar-sender-domain]"))
        // A pull request cannot make a rule waivable: the trusted file decides.
        let trusted = ws.path("trusted.yaml")
        try FileManager.default.copyItem(atPath: ws.path("mailform.yaml"), toPath: trusted)
        try ws.write("mailform.yaml", try ws.read("mailform.yaml") + "policy:\n  waivable: [dsar-sender-domain]\n")
        let pr = try ws.run(["validate", "companies", "--trusted-workspace", trusted])
        #expect(pr.exitCode == 1 && pr.stdout.contains("is not waivable in this workspace"), "\(pr.stdout)")
        let plan = try ws.run(["plan", "companies", "--trusted-workspace", trusted])
        #expect(plan.exitCode == 1 && plan.stderr.contains("is not waivable in this workspace"))
        // Waivable: a note naming the reason; the waiver is a change reviewers see.
        let ok = try ws.run(["validate", "companies"])
        #expect(ok.exitCode == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("note: waived until 2099-12-31 (the DPO's address is on the privacy subdomain): dsar_sender.email"))
        let shown = try ws.run(["plan", "companies"])
        #expect(shown.stdout.contains("+ waivers.dsar-sender-domain: \"until 2099-12-31: the DPO's address is on the privacy subdomain\""), "\(shown.stdout)")
        let comment = try ws.run(["plan", "companies", "--format", "markdown"])
        #expect(comment.stdout.contains("Rules waived for a company (reason, until)"))
        #expect(comment.stdout.contains("waivers.dsar-sender-domain"))
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let stored = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT waivers FROM companies WHERE id = 'initech'") }
        #expect(stored == "dsar-sender-domain\t2099-12-31\tthe DPO's address is on the privacy subdomain")
        #expect(try ws.run(["plan", "companies", "--detailed-exitcode"]).exitCode == 0)
        // Expired: an error again, and nothing is written.
        try ws.edit("companies/initech.yaml", "until: 2099-12-31", "until: 2020-01-31")
        let expired = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(expired.exitCode == 1)
        #expect(expired.stderr.contains("waivers: the waiver of 'dsar-sender-domain' expired on 2020-01-31; the rule applies again"))
        #expect(expired.stderr.contains("error: dsar_sender.email"))
        // An unknown rule id, and one in the workspace file: located, with a suggestion.
        try ws.edit("companies/initech.yaml", "rule: dsar-sender-domain", "rule: dsar-sender-domian")
        let unknown = try ws.run(["validate", "companies"])
        #expect(unknown.stdout.contains("waivers: 'dsar-sender-domian' is not a rule id"))
        #expect(unknown.stdout.contains("did you mean 'dsar-sender-domain'?"))
        try ws.edit("mailform.yaml", "waivable: [dsar-sender-domain]", "waivable: [no-such-rule]")
        let badWorkspace = try ws.run(["validate", "companies"])
        #expect(badWorkspace.exitCode == 1 && badWorkspace.stdout.contains("mailform.yaml:"), "\(badWorkspace.stdout)")
        #expect(badWorkspace.stdout.contains("policy.waivable: 'no-such-rule' is not a policy rule id"))
        // A reason is required.
        try ws.edit("mailform.yaml", "waivable: [no-such-rule]", "waivable: [dsar-sender-domain]")
        try ws.edit("companies/initech.yaml", "rule: dsar-sender-domian", "rule: dsar-sender-domain")
        try ws.edit("companies/initech.yaml", "    reason: the DPO's address is on the privacy subdomain\n", "")
        let noReason = try ws.run(["validate", "companies"])
        #expect(noReason.exitCode == 1 && noReason.stdout.contains("reason"), "\(noReason.stdout)")
    }

    @Test func changesMadeOnTheSettingsPageShowAsDrift() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        #expect(try ws.run(["plan", "companies", "--detailed-exitcode"]).exitCode == 0)
        // The page changes a name, seals a new password (a new nonce, the
        // fingerprint column untouched), and changes another company's name
        // to what its file will say.
        try Self.settingsPage(ws, """
            UPDATE companies SET sender_name = 'Changed On Page' WHERE id = 'acme';
            UPDATE secrets SET nonce = randomblob(12) WHERE company_id = 'globex' AND path = 'smtp.password';
            UPDATE companies SET name = 'Adopted Name' WHERE id = 'stark';
            """)
        try ws.edit("companies/stark.yaml", "\nname: Stark Industries\n", "\nname: Adopted Name\n")
        let plan = try ws.run(["plan", "companies", "--detailed-exitcode"])
        #expect(plan.exitCode == 2)
        #expect(plan.stdout.contains("! changed outside mailform since store revision 1: sender.name\n"), "\(plan.stdout)")
        #expect(plan.stdout.contains("! changed outside mailform since store revision 1: smtp.password\n"))
        #expect(plan.stdout.contains("~ smtp.password: (sensitive value changed"))
        #expect(plan.stdout.contains("Changed outside mailform, and the files already say the same (nothing to revert): stark"))
        #expect(plan.stdout.contains("Plan: 0 to add, 2 to change, 0 to delete; 6 unchanged."))
        let json = try ws.run(["plan", "companies", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let changes = object["changes"] as! [[String: Any]]
        let acme = changes.first { $0["company"] as? String == "acme" }!
        #expect(acme["drift"] as? Bool == true && acme["drift_fields"] as? [String] == ["sender.name"] && acme["drift_since_revision"] as? Int == 1)
        #expect(object["adopted_drift"] as? [String] == ["stark"])
        let comment = try ws.run(["plan", "companies", "--format", "markdown"])
        #expect(comment.stdout.contains("#### Changed outside mailform (2 companies)"))
        #expect(comment.stdout.contains("| `acme` | 1 | `sender.name` |"), "\(comment.stdout)")
        // An apply that stops before writing (here a safety limit) records no
        // adoption either: it said "nothing was written", and did write it.
        let digestOfStark = { try ws.database().read { db in try Data.fetchOne(db, sql: "SELECT digest FROM written_state WHERE company_id = 'stark'") } }
        let before = try digestOfStark()
        try ws.edit("mailform.yaml", "  max_changed_percent: 30\n", "  max_changed_percent: 10\n  min_existing: 1\n")
        let refused = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(refused.exitCode == 1 && refused.stderr.contains("over safety.max_changed_percent"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("recorded as adopted"), "\(refused.stderr)")
        #expect(try digestOfStark() == before)
        #expect(try ws.run(["plan", "companies"]).stdout.contains("the files already say the same (nothing to revert): stark"))
        try ws.edit("mailform.yaml", "  max_changed_percent: 10\n  min_existing: 1\n", "  max_changed_percent: 30\n")
        // apply reverts the page's changes and records the adopted one.
        let applied = try ws.run(["apply", "companies", "--auto-approve", "--no-probe"])
        #expect(applied.exitCode == 0)
        #expect(applied.stderr.contains("recorded as adopted (changed outside mailform, and the files say the same): stark"), "\(applied.stderr)")
        #expect(try digestOfStark() != before)
        let after = try ws.run(["plan", "companies", "--detailed-exitcode"])
        #expect(after.exitCode == 0, "\(after.stdout)")
        #expect(!after.stdout.contains("outside mailform"))
        let name = try ws.database().read { db in try String.fetchOne(db, sql: "SELECT sender_name FROM companies WHERE id = 'acme'") }
        #expect(name == "ACME Privacy")
        let since = try ws.database().read { db in try Int.fetchOne(db, sql: "SELECT store_revision FROM written_state WHERE company_id = 'globex'") }
        #expect(since == 2)
    }

    @Test func aFleetMigrationIsReviewedAsGroups() throws {
        let ws = try ExampleWorkspace(generated: 2_000)
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        // Move every SMTP company (1,000 of 2,000, each on its own host) to one relay; one is also renamed.
        let moved = try Self.editEveryCompany(ws) { text in
            text.replacingOccurrences(of: "provider: smtp\nsmtp:\n  host: smtp.", with: "provider: smtp\nsmtp:\n  host: relay.shared.example\n  #")
        }
        #expect(moved == 1_000)
        try ws.edit("companies/batch/000/c000000.yaml", "name: Benchmark Company 0\n", "name: Renamed Company 0\n")
        let comment = try ws.run(["plan", "companies", "--format", "markdown"])
        #expect(comment.exitCode == 0, "\(comment.stderr)")
        let md = comment.stdout
        #expect(md.utf8.count <= 65_535)
        #expect(md.contains("**~ 1,000 companies**"), "\(md.prefix(3000))")
        #expect(md.contains("~ smtp.host: (1,000 different values) -> \"relay.shared.example\""), "\(md.prefix(2000))")
        #expect(!md.contains("Cut to fit"), "\(md.suffix(2000))")
        #expect(md.contains("c000000") && md.contains("c001990"))
        // The one company with a change of its own is listed with it alone.
        #expect(md.contains("#### Each company"))
        #expect(md.contains("~ name: \"Benchmark Company 0\" -> \"Renamed Company 0\""))
        let text = try ws.run(["plan", "companies"])
        #expect(text.stdout.contains("Shared by several companies:"))
        #expect(text.stdout.components(separatedBy: "~ smtp.host: (1,000 different values) -> \"relay.shared.example\"").count == 2, "the shared line is printed once")
        let json = try ws.run(["plan", "companies", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let groups = object["groups"] as! [[String: Any]]
        #expect(groups.contains { ($0["companies"] as? [String])?.count == 1_000 })
        #expect((object["changes"] as! [Any]).count == 1_000)
    }

    /// Adopting a settings-page change: export one company, without defaults
    /// or needless quotes, into a workspace whose store path stays relative.
    @Test func exportOneCompanyWithoutChurn() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        try Self.settingsPage(ws, "UPDATE companies SET sender_name = 'Changed On Page' WHERE id = 'acme'")
        let export = try ws.run(["export", "--company", "acme", "--out", "adopt"])
        #expect(export.exitCode == 0, "\(export.stderr)")
        // Secrets it names variables for: their values are in no file, and it says so.
        #expect(export.stderr.contains("note: 3 secrets are written as ${env:} references (MAILFORM_ACME__POOL_DSAR_RELAY_0_PASSWORD, "), "\(export.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ws.path("adopt/companies")).filter { $0.hasSuffix(".yaml") } == ["acme.yaml"])
        let file = try ws.read("adopt/companies/acme.yaml")
        #expect(file.contains("  name: Changed On Page\n"), "\(file)")
        #expect(!file.contains("port: 587") && !file.contains("starttls: required") && !file.contains("ssl: false"), "\(file)")
        #expect(try ws.read("adopt/mailform.yaml").contains("store: ../mailform.db\n"))
        let none = try ws.run(["export", "--company", "nobody", "--out", "none"])
        #expect(none.exitCode == 1 && none.stderr.contains("no company in the store matches nobody; nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: ws.path("none")))
    }

    /// Every file under the workspace but the store and its key, with its bytes.
    static func tree(_ ws: ExampleWorkspace) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for case let file as String in FileManager.default.enumerator(atPath: ws.root.path)! where !file.hasPrefix("mailform.db") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: ws.path(file), isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            out[file] = try Data(contentsOf: URL(fileURLWithPath: ws.path(file)))
        }
        return out
    }

    /// Exported into the workspace that was applied (hand-written files in
    /// folders, with comments, profiles and quoting of their own), nothing
    /// changes: every file stays byte for byte. A company changed on the
    /// settings page is written over its own file (with --force): a changed
    /// value the file writes itself is edited in place (a one-line diff); a
    /// value that comes from a profile makes the file written whole (with a
    /// note), keeping its DKIM selector. The files then plan to no change.
    @Test func exportIntoTheWorkspaceKeepsItsFilesAsWritten() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        let before = try Self.tree(ws)
        #expect(before.keys.contains("companies/eu/umbrella.yaml") && before.keys.contains("profiles/relay.yaml"))
        let export = try ws.run(["export", "--out", "."])
        #expect(export.exitCode == 0, "\(export.stderr)")
        #expect(export.stdout.contains("Nothing to export: every company file in . already says what the store holds (8 left as written)"), "\(export.stdout)")
        #expect(try Self.tree(ws) == before)
        // Settings-page changes: refused without --force, then written over each company's own file.
        try Self.settingsPage(ws, """
            UPDATE companies SET sender_name = 'Changed On Page' WHERE id = 'umbrella';
            UPDATE companies SET dsar_name = 'DPO Team' WHERE id = 'acme';
            UPDATE smtp_servers SET host = 'smtp.moved.example' WHERE company_id = 'globex';
            """)
        let refused = try ws.run(["export", "--out", "."])
        #expect(refused.exitCode == 1 && refused.stderr.contains("companies/eu/umbrella.yaml"), "\(refused.stderr)")
        #expect(refused.stderr.contains("say other than the store"), "\(refused.stderr)")
        #expect(try Self.tree(ws) == before)
        let adopted = try ws.run(["export", "--out", ".", "--force"])
        #expect(adopted.exitCode == 0, "\(adopted.stderr)")
        #expect(adopted.stdout.contains("Exported 3 companies to . (2 edited in place: only the values the store changed; 1 written whole; 5 already said"), "\(adopted.stdout)")
        #expect(adopted.stderr.contains("companies/globex.yaml was written whole"), "\(adopted.stderr)")
        let after = try Self.tree(ws)
        #expect(Set(after.keys) == Set(before.keys), "no file added (the logo is not copied)")
        #expect(after.filter { before[$0.key] != $0.value }.map(\.key).sorted() == ["companies/acme.yaml", "companies/eu/umbrella.yaml", "companies/globex.yaml"])
        func text(_ data: Data?) -> String { String(decoding: data ?? Data(), as: UTF8.self) }
        // In place: exactly the changed value's text differs.
        #expect(text(after["companies/eu/umbrella.yaml"]) == text(before["companies/eu/umbrella.yaml"]).replacingOccurrences(of: "name: Umbrella Datenschutz", with: "name: Changed On Page"))
        #expect(text(after["companies/acme.yaml"]) == text(before["companies/acme.yaml"]).replacingOccurrences(of: "name: ACME Data Protection Office", with: "name: DPO Team"))
        // Whole: the host the profile gave is now the file's own; what the store does not hold is kept.
        let globex = text(after["companies/globex.yaml"])
        #expect(globex.contains("host: smtp.moved.example") && !globex.contains("extends:"), "\(globex)")
        if text(before["companies/globex.yaml"]).contains("dkim:") { #expect(globex.contains("dkim:")) }
        let plan = try ws.run(["plan"])
        #expect(plan.exitCode == 0 && plan.stdout.contains("0 to add, 0 to change, 0 to delete"), "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("the files already say the same (nothing to revert): acme, globex, umbrella"), "\(plan.stdout)")
        // A folder whose files do not load is not exported into (which file holds which company is not known).
        try ws.write("companies/zz.yaml", "company: acme\nsender:\n  email: a@acme.example\nprovider: platform\n")
        let duplicate = try ws.run(["export", "--out", ".", "--force"])
        #expect(duplicate.exitCode == 1 && duplicate.stderr.contains("do not all load"), "\(duplicate.stderr)")
        try ws.remove("companies/zz.yaml")
        // A file that declares another company is not written over with a third.
        try FileManager.default.removeItem(atPath: ws.path("companies/acme.yaml"))
        try FileManager.default.moveItem(atPath: ws.path("companies/globex.yaml"), toPath: ws.path("companies/acme.yaml"))
        let crossed = try ws.run(["export", "--out", ".", "--force"])
        #expect(crossed.exitCode == 1 && crossed.stderr.contains("companies/acme.yaml holds company globex, so export cannot write company acme there"),
                "\(crossed.stderr)")
        #expect(try ws.read("companies/acme.yaml").contains("company: globex"))
    }

    /// From the hostile review of the edit in place: `probe: false` is not
    /// a plain value (the plan shows "off: REASON"), so the file is written
    /// whole (keeping its schema comment) and still loads; a name starting
    /// with `@` is quoted; values the workspace's rules refuse are exported
    /// with a warning naming them.
    @Test func exportWritesOnlyWhatReadsBack() throws {
        let ws = try ExampleWorkspace()
        try ws.write("companies/acme.yaml", try ws.read("companies/acme.yaml") + "probe: false\n")
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        try Self.settingsPage(ws, """
            UPDATE companies SET probe_disabled_reason = 'VPN only' WHERE id = 'acme';
            UPDATE companies SET sender_name = '@x' WHERE id = 'stark';
            UPDATE companies SET sender_name = '' WHERE id = 'initech';
            """)
        let export = try ws.run(["export", "--out", ".", "--force"])
        #expect(export.exitCode == 0, "\(export.stderr)")
        #expect(export.stderr.contains("companies/acme.yaml was written whole"), "\(export.stderr)")
        #expect(export.stderr.contains("warning: the exported files do not pass the workspace's checks (1 error)")
                    && export.stderr.contains("companies/initech.yaml:"), "\(export.stderr)")
        let acme = try ws.read("companies/acme.yaml")
        #expect(acme.hasPrefix("# yaml-language-server: $schema=../../schemas/company.schema.json\n") && acme.contains("reason: VPN only"), "\(acme)")
        #expect(try ws.read("companies/stark.yaml").contains("  name: \"@x\"\n"))
        // Secret values are never written where they would be read as a company file.
        let yamlSecrets = try ws.run(["export", "--out", ".", "--force", "--secrets-out", "companies/leak.YAML"])
        #expect(yamlSecrets.exitCode == 64 && yamlSecrets.stderr.contains("is a YAML file inside"), "\(yamlSecrets.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.path("companies/leak.YAML")))
        // A file whose secret reference leaves its fence: refused, nothing written.
        let beforeFence = try Self.tree(ws)
        try ws.edit("companies/acme.yaml", "password: ${file:../secrets/acme-smtp.txt}", "password: ${env:HOME}")
        let fenced = try ws.run(["export", "--out", ".", "--force"])
        #expect(fenced.exitCode == 1 && fenced.stderr.contains("export writes into a workspace only when it knows which file holds which company"), "\(fenced.stderr)")
        try ws.edit("companies/acme.yaml", "password: ${env:HOME}", "password: ${file:../secrets/acme-smtp.txt}")
        #expect(try Self.tree(ws) == beforeFence)
        try ws.edit("companies/initech.yaml", "  name: \"\"\n", "")
        let plan = try ws.run(["plan"])
        #expect(plan.exitCode == 0 && plan.stdout.contains("acme, stark"), "\(plan.stdout)\(plan.stderr)")
    }

    /// From the new-user review: after an apply to an existing store, a copy
    /// of mailform.db alone (a backup, the platform's copy) holds the apply,
    /// not only the -wal file beside it.
    @Test func aCopyOfTheStoreFileAloneHoldsTheLastApply() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/eu/umbrella.yaml", "name: Umbrella Datenschutz", "name: Umbrella Copy")
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        let copy = ws.path("copy.db")
        try FileManager.default.copyItem(atPath: ws.storePath, toPath: copy)
        let (name, revision) = try DatabaseQueue(path: copy).read { db in
            (try String.fetchOne(db, sql: "SELECT sender_name FROM companies WHERE id = 'umbrella'"), try Int.fetchOne(db, sql: "SELECT MAX(id) FROM revisions"))
        }
        #expect(name == "Umbrella Copy" && revision == 2)
    }

    /// From the new-user review: history names the commit applied, and says
    /// when the workspace's tracked files differed from it.
    @Test func historySaysWhenTheCommitWasNotWhatWasApplied() throws {
        let ws = try ExampleWorkspace()
        func git(_ arguments: [String]) throws { _ = try Self.git(["-C", ws.root.path] + arguments) }
        try git(["init", "-q"])
        try git(["add", "companies", "profiles", "secrets", "logos", "mailform.yaml"])
        try git(["commit", "-qm", "tenants"])
        // A file-system monitor named in .git/config is not run (it would hold the store's lock).
        let marker = ws.path("fsmonitor-ran")
        try ws.write("fsmonitor.sh", "#!/bin/sh\necho ran > '\(marker)'\nsleep 30\n")
        chmod(ws.path("fsmonitor.sh"), 0o755)
        try git(["config", "core.fsmonitor", ws.path("fsmonitor.sh")])
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        try ws.edit("companies/eu/umbrella.yaml", "name: Umbrella Datenschutz", "name: Umbrella Uncommitted")
        #expect(!FileManager.default.fileExists(atPath: marker), "git ran the workspace's fsmonitor hook")
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        let history = try ws.run(["history"]).stdout
        let lines = history.split(separator: "\n").filter { $0.contains(" commit ") }
        #expect(lines.count == 2, "\(history)")
        #expect(lines.filter { $0.contains("(with uncommitted changes)") }.count == 1, "\(history)")
    }

    /// From the hostile review: a pull request that makes the workspace
    /// folder look like a git repository of its own (HEAD, objects/, refs/,
    /// a config whose filters would run its code with the run's secrets)
    /// is never asked: history records no commit it made up.
    @Test func aRepositoryPlantedInTheWorkspaceIsNotAsked() throws {
        let ws = try ExampleWorkspace()
        // A real commit (of an empty tree) in a bare repository elsewhere,
        // its objects then copied into the workspace folder beside a HEAD.
        let bare = ws.path("../\(ws.root.lastPathComponent)-bare")
        defer { try? FileManager.default.removeItem(atPath: bare) }
        let git = Self.git
        _ = try git(["init", "-q", "--bare", bare])
        let tree = try git(["--git-dir", bare, "mktree"])
        let commit = try git(["--git-dir", bare, "commit-tree", tree, "-m", "made up"])
        try FileManager.default.copyItem(atPath: bare + "/objects", toPath: ws.path("objects"))
        try ws.write("refs/keep", "")
        try ws.write("HEAD", commit + "\n")
        try ws.write("config", "[core]\n\tbare = false\n\tworktree = .\n")
        // What the checkout's own git would say: the made-up commit, clean.
        #expect(try git(["-C", ws.root.path, "rev-parse", "HEAD"]) == commit)
        #expect(try ws.run(["apply", "--auto-approve", "--no-probe"]).exitCode == 0)
        let history = try ws.run(["history"]).stdout
        #expect(history.contains("Apply complete") || history.contains("revision 1") || !history.isEmpty, "\(history)")
        #expect(!history.contains(String(commit.prefix(12))), "a commit the checkout made up was recorded: \(history)")
    }

    /// From the hostile review: a comment cut to fit still names every
    /// changed field and each existing company whose endpoint or
    /// credential changes (a redirect hid among 600 renamed senders).
    @Test func aCutCommentStillShowsWhereCredentialsGo() throws {
        let ws = try ExampleWorkspace(generated: 600)
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        #expect(try Self.editEveryCompany(ws) { $0.replacingOccurrences(of: "  name: Company ", with: "  name: Renamed Company ") } == 600)
        try ws.edit("companies/batch/000/c000590.yaml", "  host: smtp.c000590.bench.example.com", "  host: evil-relay.example.net")
        let md = try ws.run(["plan", "companies", "--format", "markdown"]).stdout
        #expect(md.utf8.count <= 65_535)
        #expect(md.contains("Cut to fit one comment"))
        #expect(md.contains("#### Every field this plan changes"), "\(md.prefix(3000))")
        #expect(md.contains("| `sender.name` | 600 |"))
        #expect(md.contains("| `smtp.host` ⚠ | 1 |"))
        #expect(md.contains("**Existing companies whose endpoints or credentials change (1 company):** `c000590`"))
    }

    /// From the hostile review: a refused apply leaves no key file, and a
    /// change set reviewed against no store starts none at another path.
    @Test func aRefusedApplyLeavesNoKeyAndAReviewedDigestNamesItsPath() throws {
        let ws = try ExampleWorkspace()
        ws.startsStore = false
        let plan = try ws.run(["plan", "companies"])
        let digest = try #require(plan.stdout.split(separator: "\n").first { $0.hasPrefix("Change set: ") }.map { String($0.dropFirst(12)) })
        let typo = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest, "--store", "typo.db"])
        #expect(typo.exitCode == 1, "\(typo.stdout)")
        #expect(typo.stderr.contains("the change set to apply is not the reviewed one; nothing was written"), "\(typo.stderr)")
        #expect(typo.stderr.contains("No store is at typo.db"))
        #expect(!FileManager.default.fileExists(atPath: ws.path("typo.db")) && !FileManager.default.fileExists(atPath: ws.path("typo.db.key")))
        let wrong = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", "cs1:" + String(repeating: "0", count: 64)])
        #expect(wrong.exitCode == 1 && !FileManager.default.fileExists(atPath: ws.storePath + ".key"), "\(wrong.stderr)")
        let right = try ws.run(["apply", "companies", "--auto-approve", "--no-probe", "--reviewed", digest])
        #expect(right.exitCode == 0, "\(right.stderr)")
        #expect(try ws.companyCount() == 8)
    }

    /// From the hostile review: rows of written_state that are not
    /// mailform's form fail closed; a FIFO as a plan is refused, not waited
    /// on; an empty MAILFORM_TRUSTED_WORKSPACE is an error; a waiver's day
    /// must exist.
    @Test func hostileStoreRowsPlansAndSettingsFailClosed() throws {
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        for (column, value) in [("digest", "'zz'"), ("fields", "'garbage !!'"), ("store_revision", "'abc'"), ("store_revision", "-5")] {
            let before = try ws.database().read { db in try Row.fetchOne(db, sql: "SELECT * FROM written_state WHERE company_id = 'acme'") }
            try Self.settingsPage(ws, "UPDATE written_state SET \(column) = \(value) WHERE company_id = 'acme'")
            let plan = try ws.run(["plan", "companies"])
            #expect(plan.exitCode == 1, "\(column)=\(value): \(plan.stdout)")
            #expect(plan.stderr.contains("written_state.\(column) holds a value mailform cannot read"), "\(plan.stderr)")
            try Self.settingsPage(ws, "UPDATE written_state SET store_revision = \(before!["store_revision"] as Int), digest = '\(before!["digest"] as String)', fields = '\(before!["fields"] as String)' WHERE company_id = 'acme'")
        }
        // Server values of the wrong type are refused, not converted (ssl 'abc' read as false, port 587.5 as 587).
        for (column, value) in [("ssl", "'abc'"), ("ssl", "7"), ("port", "587.5"), ("host", "x'00ff'")] {
            let before = try ws.database().read { db in try Row.fetchOne(db, sql: "SELECT ssl, port, host FROM smtp_servers WHERE company_id = 'acme' AND pool_name = ''") }
            try Self.settingsPage(ws, "UPDATE smtp_servers SET \(column) = \(value) WHERE company_id = 'acme' AND pool_name = ''")
            let plan = try ws.run(["plan", "companies"])
            #expect(plan.exitCode == 1 && plan.stderr.contains("smtp_servers.\(column) holds a value mailform cannot read"), "\(column)=\(value): \(plan.stdout)\(plan.stderr)")
            try Self.settingsPage(ws, "UPDATE smtp_servers SET ssl = \(before!["ssl"] as Int), port = \(before!["port"] as Int), host = '\(before!["host"] as String)' WHERE company_id = 'acme' AND pool_name = ''")
        }
        #expect(try ws.run(["plan", "companies", "--detailed-exitcode"]).exitCode == 0)
        #expect(mkfifo(ws.path("fifo.json"), 0o600) == 0)
        let fifo = try UntrustedPullRequestTests.runBounded(["apply", "fifo.json", "--no-probe"], in: ws, seconds: 20)
        #expect(fifo.exitCode == 1, "\(fifo.stderr)")
        let empty = try ws.run(["validate", "companies"], environment: ["MAILFORM_TRUSTED_WORKSPACE": ""])
        #expect(empty.exitCode == 1, "\(empty.stdout)\(empty.stderr)")
        try ws.write("mailform.yaml", try ws.read("mailform.yaml") + "policy:\n  waivable: [dsar-sender-domain]\n")
        try ws.write("companies/initech.yaml", try ws.read("companies/initech.yaml") + Self.waived.replacingOccurrences(of: "2099-12-31", with: "2099-02-30"))
        let date = try ws.run(["validate", "companies"])
        #expect(date.exitCode == 1 && date.stdout.contains("waivers: until '2099-02-30' is not a day of the calendar"), "\(date.stdout)")
    }

    /// From the second hostile review: a folder reached through a link
    /// outside the current folder is not written through either (a
    /// `--change-set` through one replaced a secret file).
    @Test func noWriteGoesThroughALinkedFolderAnywhere() throws {
        let ws = try ExampleWorkspace()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-links-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let link = outside.appendingPathComponent("s-dir").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: ws.path("secrets"))
        let secret = try ws.read("secrets/acme-smtp.txt")
        for arguments in [["plan", "companies", "--change-set", link + "/acme-smtp.txt"],
                          ["snapshot", "--empty", "--out", link + "/new.json"]] {
            let result = try ws.run(arguments)
            #expect(result.exitCode != 0, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains("is a symbolic link, and mailform never writes through a link"), "\(arguments): \(result.stderr)")
        }
        #expect(try ws.read("secrets/acme-smtp.txt") == secret)
        #expect(!FileManager.default.fileExists(atPath: ws.path("secrets/new.json")))
        #expect(try ws.run(["apply", "companies", "--auto-approve", "--no-probe"]).exitCode == 0)
        let export = try ws.run(["export", "--out", ws.path("exported"), "--secrets-out", link + "/leak.env"])
        #expect(export.exitCode == 1 && !FileManager.default.fileExists(atPath: ws.path("secrets/leak.env")), "\(export.stderr)")
    }
}

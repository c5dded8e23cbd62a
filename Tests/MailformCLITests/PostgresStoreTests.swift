import Foundation
import GRDB
import Testing
@testable import MailformStore
import MailformCore

/// The store on a real PostgreSQL (Tests/Servers/postgres, started by the
/// tests on 127.0.0.1): the same commands, the same guarantees as on SQLite.
@Suite(.serialized)
struct PostgresStoreTests {
    static let key = Data((0..<32).map { UInt8($0 * 7 % 251) }).base64EncodedString()

    /// The variables a run against `pg` needs: its login and the store key.
    static func env(_ pg: TestPostgres, _ extra: [String: String] = [:]) -> [String: String] {
        pg.environment.merging(["MAILFORM_STORE_KEY": key]) { a, _ in a }.merging(extra) { _, b in b }
    }

    /// Rows per table, as PostgreSQL holds them.
    static func counts(_ pg: TestPostgres, _ url: String) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for table in ["companies", "smtp_servers", "smtp_pools", "mailgun_settings", "secrets", "revisions", "revision_changes", "written_state"] {
            out[table] = Int(try pg.psql("SELECT COUNT(*) FROM \(table)", database: TestPostgres.name(url)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return out
    }

    @Test func planApplyHistoryAndExportAsOnSQLite() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace()
        let env = Self.env(pg)
        // No store yet: plan says so and creates nothing.
        let copiesBefore = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("mailform-pg-") })
        let first = try ws.run(["plan", "companies", "--store", url], environment: env)
        #expect(first.exitCode == 0 && first.stdout.contains("(none there yet)"), "\(first.stdout)\(first.stderr)")
        #expect(try pg.psql("SELECT to_regclass('companies') IS NULL", database: TestPostgres.name(url)).hasPrefix("t"))
        // apply needs --create-store, as for a file.
        let refused = try ws.run(["apply", "companies", "--store", url, "--auto-approve", "--no-probe"], environment: env)
        #expect(refused.exitCode == 1 && refused.stderr.contains("[store-not-found]"), "\(refused.exitCode) \(refused.stdout) \(refused.stderr)")
        let applied = try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("8 added"))
        let again = try ws.run(["plan", "companies", "--store", url, "--detailed-exitcode"], environment: env)
        #expect(again.exitCode == 0 && again.stdout.contains("No changes"), "\(again.stdout)\(again.stderr)")
        // The same files into an SQLite store: the same rows, table by table.
        let sqlite = try ws.run(["apply", "companies", "--create-store", "--auto-approve", "--no-probe"], environment: ["MAILFORM_STORE_KEY": Self.key])
        #expect(sqlite.exitCode == 0, "\(sqlite.stderr)")
        let onPostgres = try Self.counts(pg, url)
        let onSQLite = try ws.database().read { db in
            try Dictionary(uniqueKeysWithValues: onPostgres.keys.map { ($0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? -1) })
        }
        #expect(onPostgres == onSQLite, "\(onPostgres) \(onSQLite)")
        #expect(onPostgres["companies"] == 8 && (onPostgres["secrets"] ?? 0) > 0)
        // Secrets are sealed, as in SQLite: no value in the database.
        let secrets = try pg.psql("SELECT encode(ciphertext, 'escape') FROM secrets", database: TestPostgres.name(url))
        #expect(!secrets.contains("FAKE-"), "a secret value is readable in PostgreSQL")
        // History and export read the PostgreSQL store.
        let history = try ws.run(["history", "--store", url], environment: env)
        #expect(history.exitCode == 0 && history.stdout.contains("store revision 1"), "\(history.stdout)\(history.stderr)")
        let fromPostgres = try ws.run(["export", "--store", url, "--out", "from-pg", "--secrets-out", "pg.env"], environment: env)
        let fromSQLite = try ws.run(["export", "--out", "from-sqlite", "--secrets-out", "sqlite.env"], environment: ["MAILFORM_STORE_KEY": Self.key])
        #expect(fromPostgres.exitCode == 0 && fromSQLite.exitCode == 0, "\(fromPostgres.stderr)\(fromSQLite.stderr)")
        for company in ["acme", "contoso", "initech", "stark"] {
            let a = try? ws.read("from-pg/companies/\(company).yaml"), b = try? ws.read("from-sqlite/companies/\(company).yaml")
            #expect(a != nil && a == b, "\(company): the exports differ")
        }
        #expect(try ws.read("pg.env") == ws.read("sqlite.env"))
        // A change, then the store's history has both revisions.
        try ws.edit("companies/acme.yaml", "\nname: ACME Ltda\n", "\nname: ACME Renamed\n")
        let changed = try ws.run(["apply", "companies", "--store", url, "--auto-approve", "--no-probe"], environment: env)
        #expect(changed.exitCode == 0 && changed.stdout.contains("1 changed"), "\(changed.stdout)\(changed.stderr)")
        #expect(try pg.psql("SELECT name FROM companies WHERE id = 'acme'", database: TestPostgres.name(url)).contains("ACME Renamed"))
        #expect(try Self.counts(pg, url)["revisions"] == 2)
        // No copy of the store is left behind.
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("mailform-pg-") })
            .subtracting(copiesBefore).filter { !$0.contains("test") }
        #expect(left.isEmpty, "\(left)")
    }

    /// The tables are the SQLite store's, mapped: the same tables, the same
    /// columns in the same order, INTEGER as bigint, TEXT as text, BLOB as
    /// bytea, NOT NULL kept; and no other table but mailform_migrations.
    @Test func theTablesAreTheSQLiteStoresMapped() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace()
        #expect(try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: Self.env(pg)).exitCode == 0)
        #expect(try ws.run(["apply", "companies", "--create-store", "--auto-approve", "--no-probe"], environment: ["MAILFORM_STORE_KEY": Self.key]).exitCode == 0)
        let sqlite = try ws.database().read { db -> [String: [String]] in
            var out: [String: [String]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'") {
                out[table] = try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\" FROM pragma_table_info(?) ORDER BY cid", arguments: [table]).map { row in
                    let type: String = row["type"], notNull: Int = row["notnull"]
                    let mapped = ["INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"][type.uppercased()] ?? type
                    return "\(row["name"] as String) \(mapped)\(notNull == 1 ? " not null" : "")"
                }
            }
            return out
        }
        let rows = try pg.psql("""
            SELECT table_name || '|' || column_name || ' ' || data_type || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
            FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
            """, database: TestPostgres.name(url))
        var postgres: [String: [String]] = [:]
        for line in rows.split(separator: "\n") {
            let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
            if parts.count == 2 { postgres[parts[0], default: []].append(parts[1]) }
        }
        #expect(Set(postgres.keys) == Set(sqlite.keys).union(["mailform_migrations"]), "\(postgres.keys.sorted()) vs \(sqlite.keys.sorted())")
        for (table, columns) in sqlite {
            // (An INTEGER PRIMARY KEY is NOT NULL in PostgreSQL whatever SQLite's pragma says.)
            let expected = columns.map { table == "revisions" && $0 == "id bigint" ? "id bigint not null" : $0 }
            #expect(postgres[table] == expected, "\(table): \(postgres[table] ?? []) vs \(expected)")
        }
    }

    /// A saved plan names its store: one made against PostgreSQL applies
    /// there; one made against SQLite never applies to PostgreSQL.
    @Test func savedPlansApplyOnlyToTheirStore() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace()
        let env = Self.env(pg)
        #expect(try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        #expect(try ws.run(["apply", "companies", "--create-store", "--auto-approve", "--no-probe"], environment: ["MAILFORM_STORE_KEY": Self.key]).exitCode == 0)
        try ws.edit("companies/acme.yaml", "\nname: ACME Ltda\n", "\nname: ACME Saved\n")
        let saved = try ws.run(["plan", "companies", "--store", url, "--out", "pg-plan.json"], environment: env)
        #expect(saved.exitCode == 0, "\(saved.stderr)")
        let local = try ws.run(["plan", "companies", "--out", "sqlite-plan.json"], environment: ["MAILFORM_STORE_KEY": Self.key])
        #expect(local.exitCode == 0, "\(local.stderr)")
        let before = try Self.counts(pg, url)
        let crossed = try ws.run(["apply", "sqlite-plan.json", "--store", url, "--no-probe"], environment: env)
        #expect(crossed.exitCode == 1 && crossed.stderr.contains("another store") && crossed.stderr.contains("[plan-stale]"), "\(crossed.stderr)")
        #expect(try Self.counts(pg, url) == before)
        let applied = try ws.run(["apply", "pg-plan.json", "--store", url, "--no-probe"], environment: env)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try pg.psql("SELECT name FROM companies WHERE id = 'acme'", database: TestPostgres.name(url)).contains("ACME Saved"))
        // Applied once; a second time it is stale.
        let twice = try ws.run(["apply", "pg-plan.json", "--store", url, "--no-probe"], environment: env)
        #expect(twice.exitCode == 1 && twice.stderr.contains("[plan-stale]"), "\(twice.stderr)")
    }

    /// Probe gating reads the PostgreSQL store: a key it holds for the
    /// company is sent (to a closed port on 127.0.0.1 here: refused), a key
    /// it does not hold is not ("not checked").
    @Test func probeGatingReadsThePostgreSQLStore() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace()
        let closed = ["MAILFORM_MAILGUN_US_URL": "http://127.0.0.1:9", "MAILFORM_MAILGUN_EU_URL": "http://127.0.0.1:9"]
        let env = Self.env(pg, closed)
        #expect(try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        try ws.write("secrets/umbrella-mailgun.txt", "key-rotated-not-in-the-store\n")
        let probed = try ws.run(["probe", "companies", "--company", "initech", "--company", "umbrella", "--no-dns", "--store", url,
                                 "--format", "json"], environment: env)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(probed.stdout.utf8)) as? [String: Any], "\(probed.stderr)")
        let results = try #require(object["results"] as? [[String: Any]])
        let initech = results.first { $0["company"] as? String == "initech" }
        let umbrella = results.first { $0["company"] as? String == "umbrella" }
        #expect((initech?["failure"] as? [String: Any])?["kind"] as? String == "refused", "\(initech ?? [:])")
        #expect(umbrella?["checked"] as? Bool == false, "\(umbrella ?? [:])")
    }

    /// Applies to different companies at the same time, as several
    /// application servers run them: all land (each takes the next store
    /// revision when it writes), as on SQLite.
    @Test func concurrentAppliesToOtherCompaniesAllLand() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let base = try ExampleWorkspace()
        let env = Self.env(pg)
        #expect(try base.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        let companies = ["acme", "globex", "initech", "stark"]
        let workspaces = try companies.map { company -> ExampleWorkspace in
            let ws = try ExampleWorkspace()
            let file = ws.path("companies/\(company).yaml")
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("name: ") }, "\(company) has no name line")
            try ws.edit("companies/\(company).yaml", "\n" + line + "\n", "\nname: Renamed \(company)\n")
            return ws
        }
        let results = IndexedResults()
        DispatchQueue.concurrentPerform(iterations: workspaces.count) { i in
            results.append(i, try? workspaces[i].run(["apply", "companies", "--company", companies[i], "--store", url, "--auto-approve", "--no-probe",
                                                      "--lock-timeout", "30"], environment: env))
        }
        for (i, result) in results.all {
            #expect(result?.exitCode == 0, "\(companies[i]): \(result?.stderr ?? "")")
        }
        let names = try pg.psql("SELECT id || '=' || name FROM companies ORDER BY id", database: TestPostgres.name(url))
        for company in companies { #expect(names.contains("\(company)=Renamed \(company)"), "\(names)") }
        #expect(try pg.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM revisions", database: TestPostgres.name(url))
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "1,2,3,4,5")
        #expect(try pg.psql("SELECT COUNT(DISTINCT revision_id) FROM revision_changes", database: TestPostgres.name(url)).hasPrefix("5"))
        // Each company names the revision that changed it, and plans say no change.
        #expect(try pg.psql("SELECT COUNT(DISTINCT updated_by_revision) FROM companies WHERE id IN ('acme','globex','initech','stark')",
                            database: TestPostgres.name(url)).hasPrefix("4"))
        for (i, ws) in workspaces.enumerated() {
            let again = try ws.run(["plan", "companies", "--company", companies[i], "--store", url, "--detailed-exitcode"], environment: env)
            #expect(again.exitCode == 0, "\(companies[i]): \(again.stdout)\(again.stderr)")
        }
    }

    /// A store an older mailform made (here: before SendGrid had a table)
    /// is refused by plan, and migrated by apply once the files are valid:
    /// the missing table is added, and nothing else changes.
    @Test func anOlderStoreIsMigratedByApply() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let name = TestPostgres.name(url)
        let ws = try ExampleWorkspace()
        let env = Self.env(pg)
        #expect(try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        try pg.psql("DROP TABLE sendgrid_settings; DELETE FROM mailform_migrations WHERE identifier = 'provider-sendgrid-v1'", database: name)
        let before = try Self.counts(pg, url)
        let plan = try ws.run(["plan", "companies", "--store", url], environment: env)
        #expect(plan.exitCode == 1 && plan.stderr.contains("run apply to migrate it") && plan.stderr.contains("[store-older]"), "\(plan.stderr)")
        #expect(try pg.psql("SELECT to_regclass('sendgrid_settings') IS NULL", database: name).hasPrefix("t"))
        let applied = try ws.run(["apply", "companies", "--store", url, "--auto-approve", "--no-probe"], environment: env)
        #expect(applied.exitCode == 0, "\(applied.stderr)")
        #expect(try pg.psql("SELECT to_regclass('sendgrid_settings') IS NOT NULL", database: name).hasPrefix("t"))
        #expect(try pg.psql("SELECT COUNT(*) FROM mailform_migrations WHERE identifier = 'provider-sendgrid-v1'", database: name).hasPrefix("1"))
        #expect(try Self.counts(pg, url) == before)
        #expect(try ws.run(["plan", "companies", "--store", url, "--detailed-exitcode"], environment: env).exitCode == 0)
    }

    /// Concurrent applies of different changes to one company: each either
    /// lands whole or stops ("stale plan" or "locked"); none is lost or
    /// half-written, and the store's revisions count the ones that landed.
    @Test func concurrentAppliesLoseNoUpdate() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let base = try ExampleWorkspace()
        let env = Self.env(pg)
        #expect(try base.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        let names = (0..<4).map { "ACME Race \($0)" }
        let workspaces = try names.map { name -> ExampleWorkspace in
            let ws = try ExampleWorkspace()
            try ws.edit("companies/acme.yaml", "\nname: ACME Ltda\n", "\nname: \(name)\n")
            return ws
        }
        let results = IndexedResults()
        DispatchQueue.concurrentPerform(iterations: workspaces.count) { i in
            let r = try? workspaces[i].run(["apply", "companies", "--store", url, "--auto-approve", "--no-probe", "--lock-timeout", "20"], environment: env)
            results.append(i, r)
        }
        let all = results.all
        let landed = all.filter { $0.1?.exitCode == 0 }
        #expect(!landed.isEmpty, "no apply landed: \(all.map { $0.1?.stderr ?? "" })")
        for (_, r) in all where r?.exitCode != 0 {
            #expect(r?.stderr.contains("[plan-stale]") == true || r?.stderr.contains("[store-locked]") == true, "\(r?.stderr ?? "")")
        }
        let revisions = try Self.counts(pg, url)["revisions"] ?? 0
        #expect(revisions == 1 + landed.count, "\(revisions) revisions for \(landed.count) applies that landed")
        let name = try pg.psql("SELECT name FROM companies WHERE id = 'acme'", database: TestPostgres.name(url)).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(names.contains(name), "\(name)")
        // The last one that landed is what the store says.
        let revision = try pg.psql("SELECT revision FROM companies WHERE id = 'acme'", database: TestPostgres.name(url)).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Int(revision) == 1 + landed.count)
    }

    /// A change made outside mailform (the platform's settings page writes
    /// PostgreSQL directly) after the copy was read is never overwritten:
    /// the write stops with "stale plan" and PostgreSQL keeps that change.
    @Test func aWriterOutsideMailformIsNeverOverwritten() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace()
        let env = Self.env(pg)
        #expect(try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        setenv("PGPASSWORD", pg.info.password, 1)
        defer { unsetenv("PGPASSWORD") }
        let store = try #require(try Store.open(path: url, create: false))
        try pg.psql("UPDATE companies SET sender_name = 'Set on the settings page' WHERE id = 'acme'", database: TestPostgres.name(url))
        #expect(throws: Store.Failure.self) {
            try store.write { db in try db.execute(sql: "UPDATE companies SET name = 'From mailform' WHERE id = 'acme'") }
        }
        let row = try pg.psql("SELECT name || '|' || sender_name FROM companies WHERE id = 'acme'", database: TestPostgres.name(url))
        #expect(row.contains("ACME Ltda|Set on the settings page"), "\(row)")
        // Another company, untouched outside: its write lands, and a store
        // setting another writer changed after the copy is not set back.
        try pg.psql("INSERT INTO store_meta VALUES ('platform_note', 'before')", database: TestPostgres.name(url))
        let other = try #require(try Store.open(path: url, create: false))
        try pg.psql("UPDATE store_meta SET value = 'set by the platform' WHERE key = 'platform_note'", database: TestPostgres.name(url))
        try other.write { db in try db.execute(sql: "UPDATE companies SET name = 'Globex Renamed' WHERE id = 'globex'") }
        #expect(try pg.psql("SELECT name FROM companies WHERE id = 'globex'", database: TestPostgres.name(url)).contains("Globex Renamed"))
        #expect(try pg.psql("SELECT value FROM store_meta WHERE key = 'platform_note'", database: TestPostgres.name(url)).contains("set by the platform"))
    }

    /// kill -9 during an apply: PostgreSQL holds the store as before or as
    /// after, never between; the next apply is fine.
    @Test func aKilledApplyLeavesTheStoreWholeOrUnchanged() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace(generated: 1_500)
        let env = Self.env(pg)
        #expect(try ws.run(["apply", ".", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env,
                           ).exitCode == 0 || true)
        let total = Int(try pg.psql("SELECT COUNT(*) FROM companies", database: TestPostgres.name(url)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(total == 1_500, "\(total)")
        // Change every company, and kill the apply part-way, several times.
        let changed = try ExampleWorkspace(generated: 1_500, changedPercent: 100, seed: 1)
        for delay in [0.4, 0.8, 1.2, 1.6] {
            let process = Process()
            process.executableURL = CommandRunner.binary
            process.arguments = ["apply", ".", "--store", url, "--auto-approve", "--no-probe"]
            process.currentDirectoryURL = changed.root
            process.environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b }.merging(["MAILFORM_DNS": "off"]) { _, b in b }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let revisions = try Self.counts(pg, url)["revisions"] ?? 0
            let companies = try Self.counts(pg, url)["companies"] ?? 0
            #expect(companies == 1_500 && (revisions == 1 || revisions == 2), "after a kill at \(delay) s: \(companies) companies, \(revisions) revisions")
            if revisions == 2 { break }
        }
        let finished = try changed.run(["apply", ".", "--store", url, "--auto-approve", "--no-probe"], environment: env)
        #expect(finished.exitCode == 0, "\(finished.stderr)")
        let again = try changed.run(["plan", ".", "--store", url, "--detailed-exitcode"], environment: env)
        #expect(again.exitCode == 0, "\(again.stdout)\(again.stderr)")
    }

    /// The connection lost in the middle of an apply (the server ends the
    /// session, again and again): the apply stops with a clear error,
    /// nothing is committed, and the next run is fine.
    @Test func aLostConnectionCommitsNothing() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let name = TestPostgres.name(url)
        let ws = try ExampleWorkspace(generated: 1_500)
        let env = Self.env(pg)
        #expect(try ws.run(["apply", ".", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        let changed = try ExampleWorkspace(generated: 1_500, changedPercent: 100, seed: 3)
        let stop = LockedFlag()
        let killer = Thread {
            while !stop.isSet {
                _ = try? pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND application_name = 'mailform'")
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        killer.start()
        let cut = try changed.run(["apply", ".", "--store", url, "--auto-approve", "--no-probe"], environment: env)
        stop.set()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(cut.exitCode == 1 && cut.stderr.contains("[store-"), "\(cut.stdout.suffix(300)) \(cut.stderr)")
        #expect(!cut.stderr.contains(pg.info.password))
        #expect(try Self.counts(pg, url)["revisions"] == 1, "a lost connection committed part of the apply")
        let again = try changed.run(["apply", ".", "--store", url, "--auto-approve", "--no-probe"], environment: env)
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(try Self.counts(pg, url)["revisions"] == 2)
    }

    /// The lock is the store's own (its id), taken inside the transaction:
    /// held by another session, the apply waits --lock-timeout, then names
    /// the holder's pid; a store with another id does not wait.
    @Test func aHeldLockNamesItsHolderAndOtherStoresDoNotWait() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database(), other = try pg.database()
        let ws = try ExampleWorkspace()
        let env = Self.env(pg)
        #expect(try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        #expect(try ws.run(["apply", "companies", "--store", other, "--create-store", "--auto-approve", "--no-probe"], environment: env).exitCode == 0)
        let storeID = try pg.psql("SELECT value FROM store_meta WHERE key = 'store_id'", database: TestPostgres.name(url)).trimmingCharacters(in: .whitespacesAndNewlines)
        let lockKey = PostgresBacking.lockKey(storeID)
        // Another session holds the store's lock for 6 s.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        holder.arguments = ["-u", "postgres", "--", "\(pg.info.bin)/psql", "-h", pg.info.socket_dir, "-p", String(pg.info.port), "-U", "postgres",
                            "-d", TestPostgres.name(url), "-c", "SELECT pg_advisory_lock(\(lockKey)); SELECT pg_sleep(6);"]
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1)
        try ws.edit("companies/acme.yaml", "\nname: ACME Ltda\n", "\nname: ACME Locked\n")
        let locked = try ws.run(["apply", "companies", "--store", url, "--auto-approve", "--no-probe", "--lock-timeout", "1"], environment: env)
        #expect(locked.exitCode == 1 && locked.stderr.contains("locked by another apply by the session with pid") && locked.stderr.contains("[store-locked]"),
                "\(locked.stderr)")
        #expect(try pg.psql("SELECT name FROM companies WHERE id = 'acme'", database: TestPostgres.name(url)).contains("ACME Ltda"))
        // The other store's lock is another key: no wait.
        let elsewhere = try ws.run(["apply", "companies", "--store", other, "--auto-approve", "--no-probe", "--lock-timeout", "1"], environment: env)
        #expect(elsewhere.exitCode == 0, "\(elsewhere.stderr)")
    }

    /// Clear errors, and nothing written: a server that is down, a wrong
    /// password (never printed), a URL that holds a password, a database
    /// that is not a store, no store key.
    @Test func clearErrorsAndNothingWritten() throws {
        let pg = try TestPostgres.get()
        let url = try pg.database()
        let ws = try ExampleWorkspace()
        let down = try ws.run(["plan", "companies", "--store", "postgresql://mailform@127.0.0.1:9/nothing"], environment: Self.env(pg))
        #expect(down.exitCode == 1 && down.stderr.contains("cannot open the store postgresql://mailform@127.0.0.1:9/nothing")
                && down.stderr.contains("[store-unreadable]"), "\(down.stderr)")
        let wrong = try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"],
                               environment: Self.env(pg, ["PGPASSWORD": "Wr0ng-Passw0rd-xyz"]))
        #expect(wrong.exitCode == 1 && wrong.stderr.contains("password authentication failed") && !wrong.stderr.contains("Wr0ng-Passw0rd-xyz"),
                "\(wrong.stderr)")
        let inURL = try ws.run(["plan", "companies", "--store", "postgresql://mailform:\(pg.info.password)@127.0.0.1:\(pg.info.port)/x"], environment: [:])
        #expect(inURL.exitCode == 1 && inURL.stderr.contains("holds a password") && !inURL.stderr.contains(pg.info.password), "\(inURL.stderr)")
        // libpq decodes %XX in parameter names, and parameters can move the
        // connection elsewhere: a URL may hold neither (the fourth review
        // logged in with '?%70assword=' and printed it).
        for bad in ["?%70assword=\(pg.info.password)", "?host=127.0.0.2", "?port=1", "?passfile=/etc/shadow", "?service=x"] {
            let refused = try ws.run(["plan", "companies", "--store", url + bad], environment: Self.env(pg))
            #expect(refused.exitCode == 1 && refused.stderr.contains("[store-unreadable]") && !refused.stderr.contains(pg.info.password)
                    && !refused.stdout.contains(pg.info.password), "\(bad): \(refused.stderr)")
        }
        let upper = try ws.run(["plan", "companies", "--store", url.replacingOccurrences(of: "postgresql://", with: "POSTGRESQL://")], environment: Self.env(pg))
        #expect(upper.exitCode == 1 && upper.stderr.contains("in lower case"), "\(upper.stderr)")
        let tls = try ws.run(["plan", "companies", "--store", url + "?sslmode=disable&connect_timeout=5"], environment: Self.env(pg))
        #expect(tls.exitCode == 0, "\(tls.stderr)")
        // A client encoding from the environment does not garble text.
        try ws.edit("companies/acme.yaml", "\nname: ACME Ltda\n", "\nname: Müller GmbH 😀\n")
        let latin = try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"],
                               environment: Self.env(pg, ["PGCLIENTENCODING": "LATIN1", "PGOPTIONS": "-c bytea_output=escape"]))
        #expect(latin.exitCode == 0, "\(latin.stderr)")
        #expect(try pg.psql("SELECT name FROM companies WHERE id = 'acme'", database: TestPostgres.name(url)).contains("Müller GmbH 😀"))
        #expect(try ws.run(["plan", "companies", "--store", url, "--detailed-exitcode"],
                           environment: Self.env(pg, ["PGCLIENTENCODING": "LATIN1", "PGOPTIONS": "-c bytea_output=escape"])).exitCode == 0)
        // Another application's database (its tables in a schema of their
        // own, or only a view): mailform adds no table to it.
        for setup in ["CREATE SCHEMA app; CREATE TABLE app.users (id int)", "CREATE VIEW v AS SELECT 1 AS one"] {
            let db = try pg.database()
            try pg.psql(setup, database: TestPostgres.name(db))
            let refusedDB = try ws.run(["apply", "companies", "--store", db, "--create-store", "--auto-approve", "--no-probe"], environment: Self.env(pg))
            #expect(refusedDB.exitCode == 1 && refusedDB.stderr.contains("is not a mailform store"), "\(setup): \(refusedDB.stderr)")
        }
        // Another application's database: mailform adds no table to it.
        let foreignDB = try pg.database()
        try pg.psql("CREATE TABLE app_users (id TEXT)", database: TestPostgres.name(foreignDB))
        let other = try ws.run(["apply", "companies", "--store", foreignDB, "--create-store", "--auto-approve", "--no-probe"], environment: Self.env(pg))
        #expect(other.exitCode == 1 && other.stderr.contains("is not a mailform store"), "\(other.stderr)")
        #expect(try pg.psql("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'", database: TestPostgres.name(foreignDB)).hasPrefix("1"))
        try pg.psql("DROP DATABASE \(TestPostgres.name(url)) WITH (FORCE)")
        try pg.psql("CREATE DATABASE \(TestPostgres.name(url)) OWNER mailform")
        try pg.psql("CREATE TABLE companies (id TEXT)", database: TestPostgres.name(url))
        let foreign = try ws.run(["apply", "companies", "--store", url, "--create-store", "--auto-approve", "--no-probe"], environment: Self.env(pg))
        #expect(foreign.exitCode == 1 && foreign.stderr.contains("is not a mailform store"), "\(foreign.stderr)")
        #expect(try pg.psql("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'", database: TestPostgres.name(url)).hasPrefix("1"))
        // A store a newer mailform made: refused, not changed.
        let newer = try pg.database()
        #expect(try ws.run(["apply", "companies", "--store", newer, "--create-store", "--auto-approve", "--no-probe"], environment: Self.env(pg)).exitCode == 0)
        try pg.psql("INSERT INTO mailform_migrations VALUES ('v99-from-the-future')", database: TestPostgres.name(newer))
        let refusedNewer = try ws.run(["plan", "companies", "--store", newer], environment: Self.env(pg))
        #expect(refusedNewer.exitCode == 1 && refusedNewer.stderr.contains("made by a newer version") && refusedNewer.stderr.contains("[store-newer]"),
                "\(refusedNewer.stderr)")
        let fresh = try pg.database()
        let keyless = try ws.run(["apply", "companies", "--store", fresh, "--create-store", "--auto-approve", "--no-probe"], environment: pg.environment)
        #expect(keyless.exitCode == 1 && keyless.stderr.contains("MAILFORM_STORE_KEY") && keyless.stderr.contains("[store-key]"), "\(keyless.stderr)")
    }
}

final class IndexedResults: @unchecked Sendable {
    private var items: [(Int, CommandResult?)] = []
    private let lock = NSLock()
    func append(_ i: Int, _ r: CommandResult?) { lock.withLock { items.append((i, r)) } }
    var all: [(Int, CommandResult?)] { lock.withLock { items } }
}

final class LockedFlag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

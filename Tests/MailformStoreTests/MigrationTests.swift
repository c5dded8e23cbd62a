import Foundation
import GRDB
import Testing
@testable import MailformCore
@testable import MailformStore

/// A store made by mailform 0.1 (schema v1) keeps working: it is migrated on
/// open, its servers get the auth method they used (password when they had
/// one, none for an anonymous relay), and a plan of the same files against it
/// shows no change.
struct MigrationTests {
    @Test func aVersion1StoreMigratesAndKeepsItsServers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-v1-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("mailform.db").path
        let key = StoreKey(bytes: Array(repeating: 9, count: 32))
        let box = try SecretBox(key: key)
        // A v1 store, written the way mailform 0.1 wrote it (its SQL, not today's code).
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "v1")
        let sealed = try box.seal(Secret("v1-password"), context: SecretBox.context(company: "acme", path: "smtp.password"))
        let fingerprint = try box.fingerprint(Secret("v1-password")).hex
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO companies (id, revision, provider, sender_email, updated_at, updated_by_revision)
                  VALUES ('acme', 1, 'smtp', 'no-reply@acme.example', '2026-11-01T00:00:00Z', 1);
                INSERT INTO smtp_pools (company_id, name, use_for, strategy) VALUES ('acme', 'relay', 'notifications', 'failover');
                INSERT INTO smtp_servers (company_id, pool_name, position, host, port, username, password_secret, starttls, ssl,
                  ssl_trust, ssl_check_identity, ssl_protocols)
                  VALUES ('acme', '', 0, 'smtp.acme.example', 587, 'mailer@acme.example', 'smtp.password', 'required', 0, '', 1, 'TLSv1.2 TLSv1.3'),
                         ('acme', 'relay', 0, 'relay.acme.example', 25, NULL, NULL, 'off', 0, '', 1, 'TLSv1.2 TLSv1.3');
                """)
            try db.execute(sql: "INSERT INTO secrets (company_id, path, key_id, nonce, ciphertext, tag, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: ["acme", "smtp.password", sealed.keyID, Data(sealed.nonce), Data(sealed.ciphertext), Data(sealed.tag), fingerprint])
        }
        try queue.close()

        let opened = try Reconciler.openStore(path: path, createStore: false, environment: ["MAILFORM_STORE_KEY": Data(Array(repeating: UInt8(9), count: 32)).base64EncodedString()])
        let applied = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(applied == Migrations.migrator.migrations.sorted())
        let acme = try #require(try opened.companies(["acme"])["acme"]).company
        #expect(acme.smtp?.auth == .password)
        #expect(acme.smtp?.password?.fingerprint.hex == fingerprint)
        #expect(try box.open(#require(acme.smtp?.password).sealed, context: SecretBox.context(company: "acme", path: "smtp.password")) == Secret("v1-password"))
        #expect(acme.pools.first?.servers.first?.auth == SMTPAuthMethod.none)
        #expect(acme.pools.first?.servers.first?.settings.extra.isEmpty == true)

        // The files that made it plan as no change against the migrated store.
        let ws = dir.appendingPathComponent("ws")
        try FileManager.default.createDirectory(at: ws.appendingPathComponent("companies"), withIntermediateDirectories: true)
        try "mode: on-premise\n".write(to: ws.appendingPathComponent("mailform.yaml"), atomically: true, encoding: .utf8)
        try """
            company: acme
            sender: {email: no-reply@acme.example}
            provider: smtp
            smtp: {host: smtp.acme.example, port: 587, username: mailer@acme.example, password: "${env:MAILFORM_ACME__SMTP_PASSWORD}"}
            smtp_pools:
              relay:
                use_for: [notifications]
                servers: [{host: relay.acme.example, port: 25, starttls: "off"}]
            """.write(to: ws.appendingPathComponent("companies/acme.yaml"), atomically: true, encoding: .utf8)
        let loaded = CompanyLoader.load(paths: [ws.path], workspaceOverride: nil, options: .init(paths: [ws.path], environment: [:]))
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.sorted)")
        var diagnostics = loaded.diagnostics
        let resolver = Resolver(workspace: loaded.workspace, files: loaded.files, environment: ["MAILFORM_ACME__SMTP_PASSWORD": "v1-password"],
                                owners: loaded.owners, companyOwners: loaded.companyOwners)
        let desired = resolver.resolve(loaded.companies, diagnostics: &diagnostics)
        let plan = try Reconciler.plan(desired: desired, opened: opened, scope: [], prune: false)
        #expect(plan.isEmpty, "\(PlanRenderer.text(plan, style: .plain))")
    }

    /// Migration v6 takes the enumerations out of SQL (issue 23): a v5
    /// store keeps every row (Mailgun, pools, waivers, drift state), its
    /// tables lose their CHECK lists but keep their keys and cascades, and a
    /// value this version does not know (a provider added by a newer one,
    /// or written by another tool) is refused where the store is read.
    @Test func aVersion5StoreLosesItsEnumerationChecksAndNoRow() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-v5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("mailform.db").path
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: "v5")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO companies (id, revision, provider, sender_email, updated_at, updated_by_revision, waivers)
                  VALUES ('acme', 3, 'mailgun', 'no-reply@acme.example', '2026-11-01T00:00:00Z', 3, 'dsar-sender-domain 2099-01-31 a reason'),
                         ('beta', 1, 'smtp', 'no-reply@beta.example', '2026-11-01T00:00:00Z', 1, NULL);
                INSERT INTO mailgun_settings (company_id, domain, api_key_secret, region) VALUES ('acme', 'mg.acme.example', 'mailgun.api_key', 'eu');
                INSERT INTO smtp_pools (company_id, name, use_for, strategy) VALUES ('beta', 'tx', 'notifications', 'round_robin');
                INSERT INTO smtp_servers (company_id, pool_name, position, host, port, starttls, ssl, ssl_check_identity, ssl_protocols, auth, oauth2_provider)
                  VALUES ('beta', '', 0, 'smtp.beta.example', 587, 'required', 0, 1, 'TLSv1.3', 'oauth2', 'google'),
                         ('beta', 'tx', 0, 'tx.beta.example', 465, 'off', 1, 1, 'TLSv1.3', 'none', NULL);
                INSERT INTO written_state (company_id, store_revision, digest, fields) VALUES ('acme', 3, '\(String(repeating: "a", count: 64))', 'deadbeef');
                """)
        }
        func dump(_ db: Database) throws -> [String] {
            try ["companies", "mailgun_settings", "smtp_pools", "smtp_servers", "written_state"].flatMap { table in
                try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2").map { "\(table) \($0)" }
            }
        }
        let before = try queue.read(dump)
        try Migrations.migrator.migrate(queue)
        try queue.read { db in
            #expect(try dump(db) == before)
            let sql = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('companies', 'smtp_pools', 'smtp_servers', 'mailgun_settings')").joined()
            for gone in ["provider IN", "strategy IN", "starttls IN", "auth IN", "oauth2_provider IN", "region IN"] {
                #expect(!sql.contains(gone), "\(gone) is still checked by SQL")
            }
            #expect(sql.contains("CHECK (port BETWEEN 1 AND 65535)") && sql.contains("CHECK (revision >= 1)"))
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
        }
        // The keys and cascades hold on the new tables.
        try queue.write { db in
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO smtp_servers (company_id, position, host, port, starttls, ssl, ssl_check_identity, ssl_protocols) VALUES ('beta', 0, 'x', 587, 'required', 0, 1, '')")
            }
            try db.execute(sql: "DELETE FROM companies WHERE id = 'beta'")
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM smtp_servers") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM smtp_pools") == 0)
            // Values SQL used to refuse are now stored: the reader refuses them.
            try db.execute(sql: "UPDATE companies SET provider = 'sendgrid' WHERE id = 'acme'")
        }
        #expect(throws: StoreShapeError.self) { try queue.read { db in try CompanyRows.read(.all, db) } }
        try queue.write { db in
            try db.execute(sql: """
                UPDATE companies SET provider = 'mailgun' WHERE id = 'acme';
                UPDATE mailgun_settings SET region = 'ap';
                """)
        }
        #expect(throws: StoreShapeError.self) { try queue.read { db in try CompanyRows.read(.all, db) } }
        try queue.write { db in
            try db.execute(sql: """
                UPDATE mailgun_settings SET region = 'eu';
                INSERT INTO companies (id, revision, provider, sender_email, updated_at, updated_by_revision)
                  VALUES ('gamma', 1, 'smtp', 'a@gamma.example', '2026-11-01T00:00:00Z', 1);
                INSERT INTO smtp_pools (company_id, name, use_for, strategy) VALUES ('gamma', 'tx', 'notifications', 'random');
                """)
        }
        let error = #expect(throws: StoreShapeError.self) { try queue.read { db in try CompanyRows.read(.all, db) } }
        #expect(error?.column == "smtp_pools.strategy")
    }

    /// Runs that open a store of an older version at the same time all get
    /// it migrated (one migrates, the others find it current); none fails
    /// with "duplicate column name".
    @Test func concurrentOpensOfAnOlderStoreAllSucceed() throws {
        for _ in 0..<3 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-race-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("mailform.db").path
            let pool = try DatabasePool(path: path)
            try Migrations.migrator.migrate(pool, upTo: "v1")
            try pool.close()
            let failures = LockedList()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try Store.open(path: path, create: false) } catch { failures.append("\(error)") }
            }
            #expect(failures.items.isEmpty, "\(failures.items)")
            let applied = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
            #expect(applied == Migrations.migrator.migrations.sorted())
        }
    }

    /// A stale plan names ten companies and counts the others.
    @Test func aStalePlanNamesTenCompaniesAtMost() {
        let stale = Applier.StalePlan(reasons: (0..<25).map { "company c\($0) changed since the plan" })
        #expect(stale.description.contains("company c9 changed") && !stale.description.contains("company c10 "))
        #expect(stale.description.hasSuffix("; and 15 more companies; run plan again"))
    }
}

final class LockedList: @unchecked Sendable {
    private var values: [String] = []
    private let lock = NSLock()
    func append(_ value: String) { lock.withLock { values.append(value) } }
    var items: [String] { lock.withLock { values } }
}

import Foundation
import GRDB
import Testing
@testable import MailformCore
@testable import MailformStore
@testable import MailformWorkflow

/// Plans and applies in batches (issue 14): the same plan whatever the
/// batch, the fence with every owner of the run, and an apply that reads
/// companies again from their files only as the plan showed them.
@Suite(.serialized)
struct BatchedPlanTests {
    typealias Workspace = ReconcileWorkflowTests.Workspace

    /// `count` more companies `pad-NNN` (in `companies/pad/`, so they sort
    /// between the fixture's files and `companies/zz/`).
    static func pad(_ ws: Workspace, count: Int) throws {
        try FileManager.default.createDirectory(at: ws.root.appendingPathComponent("companies/pad"), withIntermediateDirectories: true)
        for i in 0..<count {
            try ws.write("companies/pad/p\(i).yaml", """
                company: pad-\(String(format: "%03d", i))
                sender:
                  email: no-reply@pad\(i).example.test
                provider: smtp
                smtp:
                  host: smtp.pad\(i).example.test
                  port: 587
                  username: mailer@pad\(i).example.test
                  password: ${file:../../secrets/relay.txt}

                """)
        }
    }

    static func text(_ plan: Plan) -> String { PlanRenderer.text(plan, style: .plain) }

    /// Changed, added, unchanged and unmanaged companies spread over many
    /// batches give the plan of one batch; so do `--company` and `--prune`.
    @Test func everyBatchSizeGivesTheSamePlan() throws {
        let ws = try Workspace()
        try Self.pad(ws, count: 12)
        _ = try ws.apply()
        try ws.edit("companies/alpha.yaml", "name: Alpha Inc", "name: Alpha Ltd")
        try ws.edit("companies/pad/p7.yaml", "port: 587", "port: 465")
        try FileManager.default.removeItem(at: ws.root.appendingPathComponent("companies/pad/p3.yaml"))
        try ws.write("companies/pad/p99.yaml", "company: pad-new\nsender:\n  email: a@new.example.test\nprovider: platform\n")
        for (scope, prune) in [([String](), false), ([], true), (["pad-*"], true), (["alpha", "pad-00*"], false)] {
            var plans: [Int: Plan] = [:]
            for size in [1, 2, 5, 2_048] {
                var request = PlanRequest(input: ws.input)
                request.input.batchSize = size
                request.companies = scope
                request.prune = prune
                plans[size] = try PlanWorkflow.run(request).plan
            }
            let one = try #require(plans[2_048])
            for (size, plan) in plans {
                #expect(Self.text(plan) == Self.text(one), "batch \(size), scope \(scope), prune \(prune)")
                #expect(plan.baseRevisions == one.baseRevisions && plan.unchangedCount == one.unchangedCount)
            }
            if scope.isEmpty {
                #expect(one.changes.map(\.id) == (prune ? ["alpha", "pad-003", "pad-007", "pad-new"] : ["alpha", "pad-007", "pad-new"]))
                #expect(one.unchangedCount == 13)
            }
        }
    }

    /// Company `acme` (an early file) reads `MAILFORM_ACME_EU_…`, which the
    /// company `acme-eu` claims; `acme-eu` is in a later batch. The batch of
    /// `acme` cannot know that: the check with every owner at the end must.
    @Test func aLongerIDInALaterBatchFencesAnEarlierReference() throws {
        let ws = try Workspace()
        try ws.write("companies/a-acme.yaml", """
            company: acme
            sender:
              email: no-reply@acme.example.test
            provider: smtp
            smtp:
              host: smtp.acme.example.test
              port: 587
              username: mailer@acme.example.test
              password: ${env:MAILFORM_ACME_EU_SMTP_PASSWORD}

            """)
        try FileManager.default.createDirectory(at: ws.root.appendingPathComponent("companies/zz"), withIntermediateDirectories: true)
        try ws.write("companies/zz/acme-eu.yaml", "company: acme-eu\nsender:\n  email: a@eu.example.test\nprovider: platform\n")
        var input = ws.input
        input.environment["MAILFORM_ACME_EU_SMTP_PASSWORD"] = "secret"
        for size in [1, 2_048] {
            input.batchSize = size
            let error = #expect(throws: WorkflowError.self) { try PlanWorkflow.run(PlanRequest(input: input)) }
            guard case .invalid(let diagnostics, _)? = error else { Issue.record("batch \(size): \(String(describing: error))"); continue }
            let fence = diagnostics.sorted.filter { $0.severity == .error && $0.message.contains("${env:MAILFORM_ACME_EU_SMTP_PASSWORD}") }
            #expect(fence.count == 1, "batch \(size): \(diagnostics.sorted.map(\.message))")
            #expect(fence.first?.location?.file.hasSuffix("companies/a-acme.yaml") == true && fence.first?.location?.line == 9)
        }
        #expect(!FileManager.default.fileExists(atPath: ws.store))
        // With another file's errors too, the fence error is still reported
        // (a batch that has seen an error still records references).
        try ws.write("companies/zz/bad.yaml", "company: bad\nname: 5\nprovider: nope\n")
        for size in [1, 2_048] {
            input.batchSize = size
            let error = #expect(throws: WorkflowError.self) { try PlanWorkflow.run(PlanRequest(input: input)) }
            guard case .invalid(let diagnostics, _)? = error else { Issue.record("batch \(size): \(String(describing: error))"); continue }
            let errors = diagnostics.sorted.filter { $0.severity == .error }
            #expect(errors.contains { $0.location?.file.hasSuffix("companies/a-acme.yaml") == true && $0.location?.line == 9 },
                    "batch \(size): \(errors.map(\.message))")
            #expect(errors.contains { $0.location?.file.hasSuffix("zz/bad.yaml") == true })
        }
    }

    /// A store made by an older version is not migrated (written) while the
    /// files may still be invalid, nor ever by plan; apply migrates it once
    /// the files are valid.
    @Test func anOlderStoreIsMigratedOnlyForValidFiles() throws {
        let ws = try Workspace()
        // Made as mailform 0.1 made it: WAL, schema v1.
        let pool = try DatabasePool(path: ws.store)
        try Migrations.migrator.migrate(pool, upTo: "v1")
        try pool.close()
        // The schema and the migrations applied, as SQLite lists them. (Not
        // the bytes: GRDB's pool creates and drops a table when it opens a
        // store without a -wal file, GRDB issue 102.)
        func schema() throws -> [String] {
            try DatabaseQueue(path: ws.store).read { db in
                try Row.fetchAll(db, sql: "SELECT type, name, sql FROM sqlite_master ORDER BY name").map(\.description)
                    + String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            }
        }
        let before = try schema()
        try ws.write("companies/zz-bad.yaml", "company: bad\nprovider: nope\n")
        let out = ws.root.appendingPathComponent("plan.json").path
        for run in ["plan", "plan --out", "apply"] {
            let error = #expect(throws: WorkflowError.self) {
                switch run {
                case "apply": _ = try ws.apply()
                default:
                    var request = PlanRequest(input: ws.input)
                    request.out = run == "plan" ? nil : out
                    _ = try PlanWorkflow.run(request)
                }
            }
            guard case .invalid? = error else { Issue.record("\(run): \(String(describing: error))"); continue }
            #expect(try schema() == before, "\(run) changed the store")
        }
        let applied = try DatabaseQueue(path: ws.store).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == ["v1"])
        try FileManager.default.removeItem(at: ws.root.appendingPathComponent("companies/zz-bad.yaml"))
        // Read-only commands never migrate: with valid files, plan refuses
        // the older store and changes nothing.
        let refused = #expect(throws: WorkflowError.self) { try PlanWorkflow.run(PlanRequest(input: ws.input)) }
        guard case .stopped(.storeOlder, let message, _)? = refused else { Issue.record("\(String(describing: refused))"); return }
        #expect(message.contains("was made by an older version of mailform; run apply to migrate it"))
        #expect(try schema() == before, "plan changed the store")
        // Apply migrates once the files are valid, and plans them.
        let plan = try ws.apply().plan
        #expect(plan.count(.add) == 4)
        let migrated = try DatabaseQueue(path: ws.store).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
        #expect(migrated == Migrations.migrator.migrations.sorted())
    }

    /// A company read again by id must still be the one the summaries saw.
    @Test func aStoreThatChangesWhileReadStopsTheRun() throws {
        let ws = try Workspace()
        _ = try ws.apply()
        let opened = try Reconciler.openStore(path: ws.store, createStore: false, environment: ws.input.environment)
        #expect(try opened.companies(["alpha"])["alpha"]?.revision == 1)
        try ws.edit("companies/alpha.yaml", "name: Alpha Inc", "name: Alpha Ltd")
        _ = try ws.apply()
        #expect(throws: Reconciler.Failure.self) { try opened.companies(["alpha"]) }
    }

    /// An id claimed only by the store fences a reference too, in every batch.
    @Test func anIDInTheStoreFencesAReference() throws {
        let ws = try Workspace()
        try ws.write("companies/acme-eu.yaml", "company: acme-eu\nsender:\n  email: a@eu.example.test\nprovider: platform\n")
        _ = try ws.apply()
        try FileManager.default.removeItem(at: ws.root.appendingPathComponent("companies/acme-eu.yaml"))
        try ws.write("companies/a-acme.yaml", "company: acme\nsender:\n  email: a@acme.example.test\nprovider: mailgun\nmailgun:\n  domain: mg.acme.example.test\n  api_key: ${env:MAILFORM_ACME_EU_MAILGUN_API_KEY}\n")
        var input = ws.input
        input.environment["MAILFORM_ACME_EU_MAILGUN_API_KEY"] = "key-1"
        input.batchSize = 1
        let error = #expect(throws: WorkflowError.self) { try PlanWorkflow.run(PlanRequest(input: input)) }
        guard case .invalid(let diagnostics, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(diagnostics.sorted.contains { $0.severity == .error && $0.message.contains("outside the secrets.env fence") })
    }

    /// Errors of every batch are reported: a duplicate id in a late batch, a
    /// schema error in another; nothing is written.
    @Test func errorsOfEveryBatchAreReported() throws {
        let ws = try Workspace()
        try Self.pad(ws, count: 6)
        try FileManager.default.createDirectory(at: ws.root.appendingPathComponent("companies/zz"), withIntermediateDirectories: true)
        try ws.write("companies/zz/again.yaml", "company: alpha\nsender:\n  email: a@again.example.test\nprovider: platform\n")
        try ws.edit("companies/pad/p2.yaml", "port: 587", "port: seven")
        var input = ws.input
        input.batchSize = 2
        let error = #expect(throws: WorkflowError.self) { try ApplyWorkflow.fresh({ var r = ApplyRequest(input: input, actor: "t"); r.noProbe = true; r.createStore = true; return r }()) }
        guard case .invalid(let diagnostics, let files)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(files == 11)
        let errors = diagnostics.sorted.filter { $0.severity == .error }
        #expect(errors.contains { $0.message.contains("company id 'alpha' is already used") && $0.location?.file.hasSuffix("zz/again.yaml") == true })
        #expect(errors.contains { $0.location?.file.hasSuffix("pad/p2.yaml") == true && $0.location?.line == 7 })
        #expect(!FileManager.default.fileExists(atPath: ws.store))
    }

    /// Past the keep limit an apply reads companies again as it writes: the
    /// store ends the same as with every company kept.
    @Test func anApplyThatReadsAgainWritesWhatItPlanned() throws {
        func rows(_ ws: Workspace) throws -> [String] {
            try DatabaseQueue(path: ws.store).read { db in
                try Row.fetchAll(db, sql: """
                    SELECT c.id, c.name, c.sender_email, s.host, s.port, s.username, x.fingerprint
                    FROM companies c LEFT JOIN smtp_servers s ON s.company_id = c.id LEFT JOIN secrets x ON x.company_id = c.id
                    ORDER BY c.id
                    """).map { $0.description }
            }
        }
        let kept = try Workspace(), reread = try Workspace()
        for ws in [kept, reread] { try Self.pad(ws, count: 9) }
        _ = try kept.apply()
        let outcome = try reread.apply { $0.keepLimit = 2; $0.input.batchSize = 3 }
        #expect(outcome.plan.count(.add) == 13)
        #expect(try rows(reread) == rows(kept))
        #expect(try rows(reread).count == 13)
        // And the plan of the same files is empty.
        let again = try PlanWorkflow.run(PlanRequest(input: reread.input))
        #expect(again.plan.isEmpty && again.plan.unchangedCount == 13)
    }

    /// A file, a secret or a folder that changes between the plan and the
    /// write changes nothing written: the companies past the keep limit
    /// are kept aside as planned (sealed), not read again, so the store
    /// holds what the plan showed, for kept and for set-aside companies.
    @Test func whatIsWrittenIsWhatThePlanShowed() throws {
        for change in ["file", "secret", "linked folder", "file named to write into the terminal"] {
            let ws = try Workspace(), reference = try Workspace()
            try Self.pad(ws, count: 9)
            try Self.pad(reference, count: 9)
            let hostile = "companies/pad/p9\u{1B}]0;owned\u{07}\u{1B}[2J.yaml"
            if change.hasPrefix("file named") {
                for w in [ws, reference] { try w.write(hostile, "company: pad-zz\nsender:\n  email: a@zz.example.test\nprovider: platform\n") }
            }
            _ = try reference.apply()
            var request = ApplyRequest(input: ws.input, actor: "test")
            request.createStore = true
            request.noProbe = true
            request.keepLimit = 2
            request.input.batchSize = 3
            var hooks = WorkflowHooks()
            hooks.planned = { _ in
                // After the plan is shown, before the write.
                switch change {
                case "file": try? ws.edit("companies/pad/p8.yaml", "port: 587", "port: 2525")
                case "secret": try? ws.write("secrets/relay.txt", "another password\n")
                case "file named to write into the terminal": try? ws.edit(hostile, "a@zz.example.test", "b@zz.example.test")
                default:
                    // Other secrets, outside the workspace, through a link.
                    let outside = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-outside-\(UUID().uuidString)")
                    let secrets = ws.root.appendingPathComponent("secrets")
                    try? FileManager.default.copyItem(at: secrets, to: outside)
                    try? "stolen\n".write(to: outside.appendingPathComponent("relay.txt"), atomically: true, encoding: .utf8)
                    try? FileManager.default.removeItem(at: secrets)
                    try? FileManager.default.createSymbolicLink(at: secrets, withDestinationURL: outside)
                }
            }
            let outcome = try ApplyWorkflow.fresh(request, hooks: hooks)
            #expect(outcome.plan.count(.add) == (change.hasPrefix("file named") ? 14 : 13), "\(change)")
            #expect(try Self.settings(ws) == Self.settings(reference), "\(change)")
            #expect(try Self.settings(ws).contains { $0.contains("pad-008") && $0.contains("587") })
        }
    }

    /// Every stored setting that does not depend on a nonce: companies,
    /// servers, secrets (by fingerprint and reference) and logos.
    static func settings(_ ws: Workspace) throws -> [String] {
        try DatabaseQueue(path: ws.store).read { db in
            let queries = [
                "SELECT id, name, revision, provider, sender_email, sender_name, logo_url, logo_file_name, logo_media_type, logo_sha256, dsar_email, dsar_name, probe_disabled_reason, waivers FROM companies ORDER BY id",
                "SELECT * FROM smtp_pools ORDER BY company_id, name",
                "SELECT * FROM smtp_servers ORDER BY company_id, pool_name, position",
                "SELECT company_id, domain, region FROM mailgun_settings ORDER BY company_id",
                "SELECT company_id, path, fingerprint, reference FROM secrets ORDER BY company_id, path",
            ]
            return try queries.flatMap { sql in try Row.fetchAll(db, sql: sql).map(\.description) }
        }
    }

    /// The bundled examples (Mailgun, pools, logos, OAuth2 for Microsoft
    /// and Google, profiles) applied with one company kept and the others
    /// set aside, in batches of two: the same store as with all kept, and
    /// a plan of the same files against it is empty.
    @Test func companiesSetAsideAreWrittenWholly() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples").standardized
        var stores: [[String]] = []
        for keep in [Int.max, 1] {
            let ws = try Workspace()
            try FileManager.default.removeItem(at: ws.root)
            try FileManager.default.createDirectory(at: ws.root, withIntermediateDirectories: true)
            for part in ["companies", "profiles", "logos", "secrets", "mailform.yaml"] {
                try FileManager.default.copyItem(at: examples.appendingPathComponent(part), to: ws.root.appendingPathComponent(part))
            }
            var input = ws.input
            input.paths = [ws.root.appendingPathComponent("companies").path]
            var request = ApplyRequest(input: input, actor: "test")
            request.createStore = true
            request.noProbe = true
            request.keepLimit = keep
            request.input.batchSize = 2
            let outcome = try ApplyWorkflow.fresh(request)
            #expect(outcome.plan.count(.add) >= 8)
            let again = try PlanWorkflow.run(PlanRequest(input: input)).plan
            #expect(again.isEmpty && again.unchangedCount == outcome.plan.count(.add), "\(Self.text(again))")
            stores.append(try Self.settings(ws))
        }
        #expect(stores[0] == stores[1])
        #expect(stores[0].contains { $0.contains("initech") && $0.contains("api_key") })
    }
}

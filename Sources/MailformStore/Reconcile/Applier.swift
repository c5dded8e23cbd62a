import Foundation
import GRDB
import MailformCore

/// apply: writes a plan's changes to the store in one transaction, after
/// checking that nothing changed since the plan; records a revision.
public enum Applier {
    public struct Request: Sendable {
        public var plan: Plan
        /// The settings to write for every added or changed company.
        public var desired: DesiredCompanies
        /// The store the plan was made against (`nil`: it did not exist).
        public var expectedStoreID: String?
        public var actor: String
        /// The digest of the plan's text and the workspace's commit, asked
        /// for after the rows are written, before the commit: an apply may
        /// write while it is still showing the plan the digest is made of.
        public var details: @Sendable () -> (planDigest: String, sourceCommit: String?)
        /// Companies left out of this apply because their probe failed (`--skip-failed`):
        /// recorded in the revision, so a partial apply is never mistaken for a whole one.
        public var leftOut: [String] = []
        /// Called with `transaction-begin` once the write transaction holds the
        /// lock, `rows-written` after the companies' rows (the revision's
        /// digest may still be waited for) and `transaction-end` after the
        /// last write, before the commit: crash trials use these to know
        /// where a kill landed.
        public var progress: (@Sendable (String) -> Void)?
        /// The reference of every planned secret (`RecordedReference`),
        /// written where the stored value is that same value and the store
        /// records another reference or none (companies the plan leaves
        /// unchanged included; their company revision does not change).
        public var references: [RecordedReference] = []

        public init(plan: Plan, desired: DesiredCompanies, expectedStoreID: String?, actor: String, leftOut: [String] = [],
                    details: @escaping @Sendable () -> (planDigest: String, sourceCommit: String?)) {
            self.leftOut = leftOut
            self.plan = plan
            self.desired = desired
            self.expectedStoreID = expectedStoreID
            self.actor = actor
            self.details = details
        }
    }

    public struct StalePlan: MailformError {
        public var code: ErrorCode { .planStale }
        public var message: String { description }
        public var reasons: [String]
        /// At most ten reasons, then how many more: a bulk apply that lost
        /// a race would otherwise print one line of a megabyte.
        public var description: String {
            let shown = reasons.prefix(10).joined(separator: "; ")
            let more = reasons.count > 10 ? "; and \(reasons.count - 10) more compan\(reasons.count == 11 ? "y" : "ies")" : ""
            return "stale plan: " + shown + more + "; run plan again"
        }
    }

    /// Applies the request; returns the new store revision id.
    /// - Parameter rows: the rows of `request.plan`, if they were started
    ///   earlier (rows of another plan or key are not used).
    /// - throws: ``StalePlan`` when the store changed since the plan, ``Store/Failure``
    ///   when the store is locked or cannot be written. Nothing is written then.
    public static func apply(_ request: Request, store: Store, box: SecretBox, rows: PreparedRows? = nil) throws -> Int64 {
        for change in request.plan.changes where change.action != .delete && !request.desired.contains(change.id) {
            throw Store.Failure("the plan has no settings for company \(SafeText.escape(change.id)); nothing was written", code: .planSettings)
        }
        let rows = rows.flatMap { $0.fit(request.plan, box) ? $0 : nil } ?? PreparedRows(request.plan, desired: request.desired, box: box)
        let written = try store.write { db -> Int64 in
            try checkFresh(request, db)
            request.progress?("transaction-begin")
            // The revision first (every row names it); its digest and commit last.
            try db.execute(sql: """
                INSERT INTO revisions (applied_at, actor, plan_digest, summary) VALUES (?, ?, '', ?)
                """, arguments: [rows.time, request.actor,
                                 request.plan.summary + (request.leftOut.isEmpty ? "" : " Left out after a failed probe: \(request.leftOut.joined(separator: ", ")).")])
            let revision = db.lastInsertedRowID
            let statements = RowBatch.Statements()
            defer { statements.finalize() }
            while let batch = try rows.next() { try batch.write(db, storeRevision: revision, statements: statements) }
            try record(request.references, db)
            try adopt(request.plan.adoptedDrift, expected: request.plan.baseRevisions, revision: Int(revision), db)
            request.progress?("rows-written")
            let details = request.details()
            try db.execute(sql: "UPDATE revisions SET plan_digest = ?, source_commit = ? WHERE id = ?",
                           arguments: [details.planDigest, details.sourceCommit, revision])
            request.progress?("transaction-end")
            return revision
        }
        // A PostgreSQL store numbers the revision when it takes the write
        // (after applies that committed meanwhile); the copy follows it.
        guard store.isBacked else { return written }
        return try store.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM revisions") } ?? written
    }

    /// Records references in one transaction of their own, when the plan
    /// has nothing else to write: a reference renamed to one that holds the
    /// same value, or the first apply after an upgrade (store version 4).
    /// No company revision changes (the settings do not).
    /// - Throws: ``Store/Failure`` when the store is locked or cannot be written.
    public static func recordReferences(_ references: [RecordedReference], store: Store) throws {
        guard !references.isEmpty else { return }
        try store.write { db in try record(references, db) }
    }

    /// Records the store's present state of these companies as what
    /// mailform wrote: a change made outside mailform that the files now say
    /// too was adopted, and is drift no longer. Only companies whose state
    /// still has the digest the plan compared are recorded.
    /// - Throws: ``Store/Failure``.
    public static func acknowledgeAdopted(_ ids: [String], expected: [String: Int], store: Store) throws {
        guard !ids.isEmpty else { return }
        try store.write { db in
            let revision = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM revisions") ?? 0
            try adopt(ids, expected: expected, revision: revision, db)
        }
    }

    /// `acknowledgeAdopted` inside a write transaction: an apply's own, so
    /// that an apply stopped before it writes (a failed probe, a safety
    /// limit) records no adoption either.
    static func adopt(_ ids: [String], expected: [String: Int], revision: Int, _ db: Database) throws {
        guard !ids.isEmpty else { return }
        let companies = try CompanyRows.read(ids: ids, db)
        let statement = try db.makeStatement(sql: "UPDATE written_state SET store_revision = ?, digest = ?, fields = ? WHERE company_id = ?")
        for id in ids {
            // A company changed since the plan read it is left as it is.
            guard let stored = companies[id], stored.revision == expected[id] else { continue }
            let written = WrittenState(stored.company)
            try statement.execute(arguments: [revision, written.digest, written.fields, id])
        }
    }

    static func record(_ references: [RecordedReference], _ db: Database) throws {
        guard !references.isEmpty else { return }
        let statement = try db.makeStatement(sql:
            "UPDATE secrets SET reference = ? WHERE company_id = ? AND path = ? AND fingerprint = ? AND reference IS NOT ?")
        for reference in references {
            try statement.execute(arguments: [reference.reference, reference.company, reference.path, reference.fingerprint, reference.reference])
        }
    }

    /// Compares the store with what the plan read, inside the write transaction.
    static func checkFresh(_ request: Request, _ db: Database) throws {
        var reasons: [String] = []
        let storeID = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'")
        if let expected = request.expectedStoreID, expected != storeID {
            throw StalePlan(reasons: ["the plan was made against another store (\(expected)), this store is \(storeID ?? "new")"])
        }
        // A plan made where there was no store writes only to a store that
        // holds nothing yet: another apply may have created it meanwhile,
        // with companies this plan did not see.
        if request.expectedStoreID == nil, let latest = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM revisions") {
            throw StalePlan(reasons: ["the plan was made where there was no store, and another apply created it meanwhile (store revision \(latest))"])
        }
        var revisions: [String: Int] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, revision FROM companies")
        while let row = try rows.next() { revisions[row["id"]] = row["revision"] }
        for (id, base) in request.plan.baseRevisions.sorted(by: { $0.key < $1.key }) {
            let now = revisions[id] ?? 0
            guard now != base else { continue }
            if base == 0 {
                reasons.append("company \(id) was added to the store since the plan (company revision \(now))")
            } else if now == 0 {
                reasons.append("company \(id) was deleted from the store since the plan (company revision \(base))")
            } else {
                reasons.append("company \(id) changed since the plan (company revision \(base) -> \(now))")
            }
        }
        if !reasons.isEmpty { throw StalePlan(reasons: reasons) }
    }
}

/// The reference of one desired secret, with its value's fingerprint: what
/// an apply records for a secret the store holds without its reference.
public struct RecordedReference: Sendable {
    public var company: String
    public var path: String
    public var reference: String
    public var fingerprint: String
    /// The reference the store records now (nil: none).
    public var previous: String?
    public init(company: String, path: String, reference: String, fingerprint: String) {
        self.company = company
        self.path = path
        self.reference = reference
        self.fingerprint = fingerprint
    }
}

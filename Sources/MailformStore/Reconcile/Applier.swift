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
        public var planDigest: String
        public var actor: String
        public var sourceCommit: String?
        /// Companies left out of this apply because their probe failed (`--skip-failed`):
        /// recorded in the revision, so a partial apply is never mistaken for a whole one.
        public var leftOut: [String] = []
        /// Called with `transaction-begin` once the write transaction holds the
        /// lock and `transaction-end` after the last write, before the commit:
        /// crash trials use these to know where a kill landed.
        public var progress: (@Sendable (String) -> Void)?

        public init(plan: Plan, desired: DesiredCompanies, expectedStoreID: String?, planDigest: String,
                    actor: String, sourceCommit: String?, leftOut: [String] = []) {
            self.leftOut = leftOut
            self.plan = plan
            self.desired = desired
            self.expectedStoreID = expectedStoreID
            self.planDigest = planDigest
            self.actor = actor
            self.sourceCommit = sourceCommit
        }
    }

    public struct StalePlan: Error, CustomStringConvertible {
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
    /// - throws: ``StalePlan`` when the store changed since the plan, ``Store/Failure``
    ///   when the store is locked or cannot be written. Nothing is written then.
    public static func apply(_ request: Request, store: Store, box: SecretBox) throws -> Int64 {
        for change in request.plan.changes where change.action != .delete && !request.desired.contains(change.id) {
            throw Store.Failure("the plan has no settings for company \(SafeText.escape(change.id)); nothing was written")
        }
        let now = ISO8601DateFormatter().string(from: Date())
        return try store.write { db -> Int64 in
            try checkFresh(request, db)
            request.progress?("transaction-begin")
            try db.execute(sql: """
                INSERT INTO revisions (applied_at, actor, source_commit, plan_digest, summary) VALUES (?, ?, ?, ?, ?)
                """, arguments: [now, request.actor, request.sourceCommit, request.planDigest,
                                 request.plan.summary + (request.leftOut.isEmpty ? "" : " Left out after a failed probe: \(request.leftOut.joined(separator: ", ")).")])
            let revision = db.lastInsertedRowID
            // In chunks: each chunk's secrets are sealed (AES-GCM + HMAC) and
            // its rows made on other threads while the previous chunk is
            // written; memory holds a chunk or two, not the plan's companies.
            let changes = request.plan.changes
            // The first chunk is small: it is made while nothing else can be written.
            let first = min(changes.count, firstChunkSize)
            let chunks = (first > 0 ? [changes[0..<first]] : [])
                + stride(from: first, to: changes.count, by: chunkSize).map { changes[$0..<min($0 + chunkSize, changes.count)] }
            // Each chunk's statements (for each change, the company's rows,
            // its secrets sealed, or its deletion, and its line in
            // `revision_changes`) are made on other threads.
            let desired = request.desired
            let prepare = { (chunk: ArraySlice<CompanyChange>) in
                Background { Result { try statements(chunk, desired, box: box, storeRevision: revision, at: now) } }
            }
            var next = chunks.first.map(prepare)
            defer { next?.wait() }
            for i in chunks.indices {
                let statements = try next!.value.get()
                next = i + 1 < chunks.count ? prepare(chunks[i + 1]) : nil
                try CompanyRows.insert(statements, db)
            }
            request.progress?("transaction-end")
            return revision
        }
    }

    /// Companies written per chunk.
    static let chunkSize = 2_048
    static let firstChunkSize = 128

    static func statements(_ chunk: ArraySlice<CompanyChange>, _ source: DesiredCompanies, box: SecretBox, storeRevision: Int64,
                           at time: String) throws -> [CompanyRows.Statement] {
        let writes = chunk.filter { $0.action != .delete }
        let desired = try source.companies(writes.map(\.id))
        for change in writes where desired[change.id] == nil {
            throw Store.Failure("the plan has no settings for company \(SafeText.escape(change.id)); nothing was written")
        }
        let list = Array(chunk)
        let prepared = Parallel.map(list.count) { i in
            Result { () throws -> [CompanyRows.Statement] in
                let change = list[i]
                var out: [CompanyRows.Statement] = []
                if change.action == .delete {
                    out.append(CompanyRows.Statement(sql: "DELETE FROM companies WHERE id = ?", arguments: [change.id]))
                } else {
                    let company = try desired[change.id]!.mapSecrets { path, resolved -> StoredSecret in
                        let seal = try box.seal(resolved.secret, context: SecretBox.context(company: change.id, path: path))
                        return StoredSecret(sealed: seal, fingerprint: try box.fingerprint(resolved.secret))
                    }
                    // An added company is not in the store (checkFresh saw revision 0):
                    // no DELETE, and no cascade lookups in four tables.
                    out = CompanyRows.rows(company, revision: change.baseRevision + 1, storeRevision: storeRevision, at: time,
                                           replacing: change.action == .change)
                }
                out.append(CompanyRows.Statement(sql: "INSERT INTO revision_changes (revision_id, company_id, action, fields) VALUES (?, ?, ?, ?)",
                                                 arguments: [storeRevision, change.id, change.action.rawValue, change.paths.joined(separator: " ")]))
                return out
            }
        }
        return CompanyRows.combine(try prepared.flatMap { try $0.get() })
    }

    /// Compares the store with what the plan read, inside the write transaction.
    static func checkFresh(_ request: Request, _ db: Database) throws {
        var reasons: [String] = []
        let storeID = try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'")
        if let expected = request.expectedStoreID, expected != storeID {
            throw StalePlan(reasons: ["the plan was made against another store (\(expected)), this store is \(storeID ?? "new")"])
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

import GRDB
import MailformCore

/// One applied revision of the store.
public struct Revision: Sendable {
    public struct Change: Sendable {
        public var company: String
        public var action: Action
        public var fields: [String]
    }

    public var id: Int64
    public var appliedAt: String
    public var actor: String
    public var sourceCommit: String?
    public var planDigest: String
    public var summary: String
    public var changes: [Change]

    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "revision": id, "applied_at": appliedAt, "actor": actor, "plan_digest": planDigest, "summary": summary,
            "changes": changes.map { ["company": $0.company, "action": $0.action.rawValue, "fields": $0.fields] as [String: Any] },
        ]
        object["source_commit"] = sourceCommit ?? NSNull()
        return object
    }
}

extension Store {
    /// Revisions newest first, optionally only those that touched `company`.
    /// - Throws: `DatabaseError` when the store cannot be read.
    public func history(company: String?, limit: Int?) throws -> [Revision] {
        try read { db in
            var sql = "SELECT * FROM revisions"
            var arguments: StatementArguments = []
            if let company {
                sql += " WHERE id IN (SELECT revision_id FROM revision_changes WHERE company_id = ?)"
                arguments += [company]
            }
            sql += " ORDER BY id DESC"
            if let limit { sql += " LIMIT \(max(0, limit))" }
            var result: [Revision] = []
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                let id: Int64 = row["id"]
                var changeSQL = "SELECT * FROM revision_changes WHERE revision_id = ?"
                var changeArguments: StatementArguments = [id]
                if let company {
                    changeSQL += " AND company_id = ?"
                    changeArguments += [company]
                }
                let changes = try Row.fetchAll(db, sql: changeSQL + " ORDER BY company_id", arguments: changeArguments).map { c in
                    let fields: String = c["fields"]
                    return Revision.Change(company: c["company_id"], action: Action(rawValue: c["action"]) ?? .change,
                                           fields: fields.split(separator: " ").map(String.init))
                }
                result.append(Revision(id: id, appliedAt: row["applied_at"], actor: row["actor"], sourceCommit: row["source_commit"],
                                       planDigest: row["plan_digest"], summary: row["summary"], changes: changes))
            }
            return result
        }
    }
}

import Foundation

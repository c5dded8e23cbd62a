import Foundation
import GRDB
import MailformCore

/// The store's tables in PostgreSQL: the SQLite migrations' schema, mapped
/// once. A fresh SQLite database is migrated (`Migrations`, the one
/// description of the schema) and each table's `CREATE` statement is
/// translated: `INTEGER` is `BIGINT`, `BLOB` is `BYTEA`, an
/// `AUTOINCREMENT` key a plain `BIGINT` key (revision ids are given by the
/// copy, under the store's lock); the rest (`TEXT`, `NOT NULL`, `CHECK`,
/// `REFERENCES … ON DELETE CASCADE`, indexes) is the same SQL.
/// `mailform_migrations` lists the migrations the tables correspond to, as
/// SQLite's `grdb_migrations` does. `PostgresStoreTests.theTablesAreTheSQLiteStoresMapped` compares the two
/// stores' columns on a real server.
enum PostgresSchema {
    enum State { case empty, current, older, newer, notAStore }

    /// Which store, if any, the database holds.
    static func state(_ connection: PostgresConnection) throws -> State {
        // Any table in the schema without mailform_migrations: another
        // application's database, which mailform never adds tables to.
        let row = try connection.execute("""
            SELECT to_regclass('mailform_migrations') IS NOT NULL,
                   EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
                             AND n.nspname NOT LIKE 'pg_temp%' AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f'))
            """).first ?? []
        let hasMigrations = (row.first ?? nil) == "t", hasTables = (row.dropFirst().first ?? nil) == "t"
        guard hasMigrations else { return hasTables ? .notAStore : .empty }
        let applied = Set(try connection.execute("SELECT identifier FROM mailform_migrations").compactMap { $0.first ?? nil })
        let known = Set(Migrations.migrator.migrations)
        if !applied.subtracting(known).isEmpty { return .newer }
        return applied == known ? .current : .older
    }

    /// The `CREATE` statements of the current schema, for PostgreSQL.
    static func statements() throws -> [String] {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue)
        return try queue.read { db in
            let tables = try PostgresBacking.tables(db).map(\.name)
            var out: [String] = []
            for table in tables {
                guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]) else { continue }
                out.append(translate(sql))
            }
            out += try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            return out
        }
    }

    /// One SQLite `CREATE TABLE` as PostgreSQL's.
    static func translate(_ sql: String) -> String {
        var out = sql.replacingOccurrences(of: "INTEGER PRIMARY KEY AUTOINCREMENT", with: "BIGINT PRIMARY KEY")
        out = out.replacingOccurrences(of: #"\bINTEGER\b"#, with: "BIGINT", options: .regularExpression)
        out = out.replacingOccurrences(of: #"\bBLOB\b"#, with: "BYTEA", options: .regularExpression)
        return out
    }

    /// Brings a store an older mailform made up to this version's schema, in
    /// one transaction under the creation lock: the tables and columns it
    /// lacks are added (mapped as at creation), then the indexes, then the
    /// migrations recorded. That is every migration since v6 (a new
    /// provider's table, a new column); one that changes a column in place
    /// would need a step of its own, and stops here ("cannot be migrated").
    /// - Throws: `Store.Failure` when the difference is not additive.
    static func migrate(_ connection: PostgresConnection) throws {
        try connection.execute("BEGIN")
        do {
            try connection.execute("SELECT pg_advisory_xact_lock(hashtextextended('mailform-create:' || current_database(), 0))")
            guard try state(connection) == .older else {
                try connection.execute("COMMIT")
                return
            }
            let queue = try DatabaseQueue()
            try Migrations.migrator.migrate(queue)
            let (tables, indexes) = try queue.read { db -> ([(name: String, create: String, columns: [(String, String)])], [String]) in
                var tables: [(String, String, [(String, String)])] = []
                for table in try PostgresBacking.tables(db) {
                    let create = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table.name]) ?? ""
                    let columns = try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?) ORDER BY cid",
                                                   arguments: [table.name]).map { row -> (String, String) in
                        let name: String = row["name"]
                        let notNull: Int = row["notnull"]
                        let fallback: String? = row["dflt_value"]
                        return (name, translate("\"\(name)\" \(row["type"] as String)" + (notNull == 1 ? " NOT NULL" : "") + (fallback.map { " DEFAULT \($0)" } ?? "")))
                    }
                    tables.append((table.name, translate(create), columns))
                }
                let indexes = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
                return (tables, indexes)
            }
            for table in tables {
                let present = Set(try connection.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
                                                         [table.name]).compactMap { $0.first ?? nil })
                if present.isEmpty {
                    try connection.execute(table.create)
                    continue
                }
                for (name, definition) in table.columns where !present.contains(name) {
                    try connection.execute("ALTER TABLE \(table.name) ADD COLUMN \(definition)")
                }
            }
            for index in indexes { try connection.execute(index.replacingOccurrences(of: "CREATE INDEX ", with: "CREATE INDEX IF NOT EXISTS ")) }
            for identifier in Migrations.migrator.migrations {
                try connection.execute("INSERT INTO mailform_migrations (identifier) VALUES ($1) ON CONFLICT DO NOTHING", [identifier])
            }
            try connection.execute("COMMIT")
        } catch let error as PostgresConnection.ServerError {
            _ = try? connection.execute("ROLLBACK")
            throw Store.Failure("the store \(connection.display) was made by an older version of mailform, and cannot be migrated: \(error.message)", code: .storeOlder)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Makes the store's tables and identity in one transaction, under a
    /// lock keyed on the database (two first applies race here).
    static func create(_ connection: PostgresConnection, storeID: String, lockTimeout: TimeInterval) throws {
        try connection.execute("BEGIN")
        do {
            try connection.execute("SELECT pg_advisory_xact_lock(hashtextextended('mailform-create:' || current_database(), 0))")
            // Another run made it meanwhile: use that one.
            if try state(connection) != .empty {
                try connection.execute("COMMIT")
                return
            }
            for statement in try statements() { try connection.execute(statement) }
            try connection.execute("CREATE TABLE mailform_migrations (identifier TEXT PRIMARY KEY NOT NULL)")
            for identifier in Migrations.migrator.migrations {
                try connection.execute("INSERT INTO mailform_migrations (identifier) VALUES ($1)", [identifier])
            }
            try connection.execute("INSERT INTO store_meta (key, value) VALUES ('store_id', $1)", [storeID])
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

import Foundation
import GRDB
import MailformCore

/// A store on PostgreSQL, worked on through a copy.
///
/// mailform's store code is one, written for SQLite. A PostgreSQL store is
/// read into a private SQLite file (a temporary folder, mode 0700, removed
/// when the run ends) in one REPEATABLE READ snapshot; plan, export, history
/// and apply run on that copy unchanged. A write is then carried back in one
/// PostgreSQL transaction (`push`):
/// - READ COMMITTED, under `pg_advisory_xact_lock` on a key derived from
///   the store id (never a global key: two stores never wait for each
///   other), taken inside the transaction and released when it ends; each
///   statement after it sees every apply committed before;
/// - the companies the write touched (triggers on the copy record them) are
///   checked first, their rows read `FOR UPDATE`: they must still be the
///   rows copied (a digest per company), or the push stops with "stale
///   plan" and writes nothing; a concurrent writer (another apply, the
///   platform's settings page) is never overwritten, and none can change
///   those rows until the commit;
/// - then those companies' rows are replaced (`COPY`), the new revisions
///   added (after those of applies to other companies that committed since
///   the copy: the ids move up), and the transaction commits: all of it or
///   nothing (a kill or a lost connection rolls it back).
///
/// Tables and columns are the SQLite store's, made by the same migrations
/// and mapped once (``PostgresSchema``); values are integers, text or bytes
/// on both sides (BIGINT, TEXT, BYTEA in PostgreSQL).
final class PostgresBacking: @unchecked Sendable {
    let url: String
    let display: String
    /// The folder of the copy (removed at the end of the run).
    let folder: String
    let copyPath: String
    let lockTimeout: TimeInterval
    private(set) var storeID: String
    /// The highest revision id PostgreSQL held when it was copied (or last pushed).
    private(set) var revisionBase: Int64

    private init(url: String, folder: String, storeID: String, revisionBase: Int64, lockTimeout: TimeInterval) {
        self.url = url
        self.display = StoreLocation.display(url)
        self.folder = folder
        self.copyPath = folder + "/store.db"
        self.storeID = storeID
        self.revisionBase = revisionBase
        self.lockTimeout = lockTimeout
    }

    deinit { Self.removeFolder(folder) }

    static func removeFolder(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
        TemporaryPaths.remove(folder)
    }

    /// Copies the store at `url` into a private SQLite file.
    /// - Returns: nil when the database holds no store and `create` is false.
    /// - Throws: `Store.Failure`: the server is down, the login is refused,
    ///   the database is not a mailform store or was made by another version.
    static func open(url: String, create: Bool, lockTimeout: TimeInterval, newStoreID: String?, migrate: Bool = true,
                     readOnly: Bool = false) throws -> PostgresBacking? {
        if let problem = StoreLocation.urlProblem(url) {
            throw Store.Failure("the store URL \(StoreLocation.display(url)) \(problem)",
                                hint: "write postgresql://USER@HOST:PORT/DATABASE; the password comes from PGPASSWORD, ~/.pgpass or PGSERVICE")
        }
        let connection = try PostgresConnection(url: url, lockTimeout: lockTimeout)
        let display = connection.display
        do {
            switch try PostgresSchema.state(connection) {
            case .current: break
            case .empty:
                guard create else { return nil }
                try PostgresSchema.create(connection, storeID: newStoreID ?? UUID().uuidString.lowercased(), lockTimeout: lockTimeout)
            case .older:
                // As for a file: only apply migrates (once the files are known valid).
                guard migrate else {
                    // A run that may write migrates once its files are valid.
                    if !readOnly { throw Store.NeedsMigration() }
                    throw Store.Failure("the store \(display) was made by an older version of mailform; run apply to migrate it (plan, probe, snapshot and export never change the store)",
                                        code: .storeOlder)
                }
                try PostgresSchema.migrate(connection)
            case .newer:
                throw Store.Failure("the store \(display) was made by a newer version of mailform; use that version", code: .storeNewer)
            case .notAStore:
                throw Store.Failure("\(display) is not a mailform store: its database holds other tables, and no mailform_migrations",
                                    hint: "give mailform a database of its own (CREATE DATABASE … OWNER …)")
            }
            let folder = try makeFolder()
            do {
                let (storeID, base) = try copy(connection, into: folder + "/store.db")
                return PostgresBacking(url: url, folder: folder, storeID: storeID, revisionBase: base, lockTimeout: lockTimeout)
            } catch {
                removeFolder(folder)
                throw error
            }
        } catch let error as PostgresConnection.ServerError where error.sqlState == "55P03" {
            throw Store.Failure("store is locked by another apply that is creating it (\(display)); gave up after --lock-timeout", code: .storeLocked)
        } catch let error as PostgresConnection.ServerError {
            throw Store.Failure("store error at \(display): \(error.message)", code: .storeWrite)
        }
    }

    private static func makeFolder() throws -> String {
        sweepCopies()
        var template = Array((NSTemporaryDirectory() + "/mailform-pg-\(getpid())-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Store.Failure("cannot create a temporary folder for the store's copy: \(String(cString: strerror(errno)))", code: .temporarySpace)
        }
        let folder = String(cString: made)
        TemporaryPaths.add(folder)
        return folder
    }

    /// Removes the copies of runs that were killed (SIGKILL leaves them):
    /// this user's `mailform-pg-PID-…` folders whose process is gone.
    static func sweepCopies() {
        let folder = NSTemporaryDirectory()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.prefix(10_000) where name.hasPrefix("mailform-pg-") {
            let parts = name.split(separator: "-")
            guard parts.count == 4, let pid = Int32(parts[2]), pid != getpid() else { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == getuid(), (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    // MARK: Copy

    /// The tables of the store in the order they are copied and carried
    /// back (parents first), with their columns and primary keys.
    struct Table {
        var name: String
        var columns: [(name: String, type: String)]
        var primaryKey: [String]
        /// The column naming the company (`id` for `companies`), nil for a store-wide table.
        var companyColumn: String?
    }

    static func tables(_ db: Database) throws -> [Table] {
        let names = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' AND name NOT LIKE '_mf_%'
            ORDER BY name
            """)
        var out: [Table] = []
        for name in names {
            let info = try Row.fetchAll(db, sql: "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
            let columns = info.map { ($0["name"] as String, ($0["type"] as String).uppercased()) }
            let key = info.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
            let company = name == "companies" ? "id" : columns.contains { $0.0 == "company_id" } && name != "revision_changes" ? "company_id" : nil
            out.append(Table(name: name, columns: columns, primaryKey: key, companyColumn: company))
        }
        // Parents first: companies, revisions; then the rest by name.
        let rank = ["store_meta": 0, "companies": 1, "revisions": 2]
        return out.sorted { (rank[$0.name] ?? 3, $0.name) < (rank[$1.name] ?? 3, $1.name) }
    }

    /// `SELECT` of a table's columns in primary-key order (text keys in
    /// byte order, as SQLite sorts them).
    /// - Parameter postgres: false for the copy (SQLite sorts text by its bytes already).
    static func select(_ table: Table, where condition: String = "", postgres: Bool = true) -> String {
        let columns = table.columns.map { column -> String in "\"\(column.name)\"" }.joined(separator: ", ")
        let order = table.primaryKey.map { key -> String in
            let type = table.columns.first { $0.name == key }?.type ?? "TEXT"
            return "\"\(key)\"" + (postgres && type == "TEXT" ? " COLLATE \"C\"" : "")
        }.joined(separator: ", ")
        return "SELECT \(columns) FROM \(table.name)\(condition)" + (order.isEmpty ? "" : " ORDER BY \(order)")
    }

    /// A PostgreSQL text value as the SQLite column's value.
    static func value(_ text: String?, type: String) throws -> DatabaseValue {
        guard let text else { return .null }
        switch type {
        case "INTEGER":
            guard let n = Int64(text) else { throw Store.Failure("the store holds '\(SafeText.escape(String(text.prefix(40))))' where a number belongs", code: .storeValue) }
            return n.databaseValue
        case "BLOB":
            guard let bytes = hex(text) else { throw Store.Failure("the store holds bytes mailform cannot read", code: .storeValue) }
            return Data(bytes).databaseValue
        default:
            return text.databaseValue
        }
    }

    /// `\x…` (bytea's hex output) as bytes.
    static func hex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == 0x5C, utf8[1] == 0x78, utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity((utf8.count - 2) / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var i = 2
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    /// A value's canonical bytes for the company digest: the same for a
    /// value read from PostgreSQL and one read from the copy.
    static func canonical(_ value: DatabaseValue, into out: inout [UInt8]) {
        switch value.storage {
        case .null: out.append(0)
        case .int64(let n): out.append(1); out += Array(String(n).utf8); out.append(0xFF)
        case .double(let d): out.append(2); out += Array(String(d).utf8); out.append(0xFF)
        case .string(let s): out.append(3); out += Array(String(s.utf8.count).utf8); out.append(0x3A); out += Array(s.utf8)
        case .blob(let b): out.append(4); out += Array(String(b.count).utf8); out.append(0x3A); out += Array(b)
        }
    }

    /// One more row in a company's digest chain.
    static func chain(_ previous: [UInt8]?, table: String, row: [DatabaseValue]) -> [UInt8] {
        var bytes = previous ?? []
        bytes += Array(table.utf8)
        bytes.append(0)
        for value in row { canonical(value, into: &bytes) }
        return Digest.sha256(bytes)
    }

    /// Copies every table in one REPEATABLE READ snapshot, with each
    /// company's digest; adds the triggers that record what a write touches.
    private static func copy(_ connection: PostgresConnection, into path: String) throws -> (storeID: String, revisionBase: Int64) {
        var config = Configuration()
        config.foreignKeysEnabled = false
        let previous = umask(0o077)
        defer { umask(previous) }
        let queue = try DatabaseQueue(path: path, configuration: config)
        try Migrations.migrator.migrate(queue)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { _ = try? connection.execute("COMMIT") }
        let tables = try queue.read { try Self.tables($0) }
        var digests: [String: [UInt8]] = [:]
        try queue.write { db in
            try db.execute(sql: "DELETE FROM store_meta")
            for table in tables {
                let insert = try db.makeStatement(sql: "INSERT INTO \(table.name) (\(table.columns.map { "\"\($0.name)\"" }.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: table.columns.count).joined(separator: ", ")))")
                let companyIndex = table.companyColumn.flatMap { column in table.columns.firstIndex { $0.name == column } }
                try connection.query(select(table)) { texts in
                    var row: [DatabaseValue] = []
                    row.reserveCapacity(texts.count)
                    for (i, text) in texts.enumerated() { row.append(try value(text, type: table.columns[i].type)) }
                    try insert.execute(arguments: StatementArguments(row))
                    if let companyIndex, case .string(let company) = row[companyIndex].storage {
                        digests[company] = chain(digests[company], table: table.name, row: row)
                    }
                }
            }
            try db.execute(sql: """
                CREATE TABLE _mf_copied (company_id TEXT PRIMARY KEY NOT NULL, digest BLOB NOT NULL);
                CREATE TABLE _mf_touched (company_id TEXT PRIMARY KEY NOT NULL);
                CREATE TABLE _mf_meta_copied AS SELECT * FROM store_meta;
                """)
            let record = try db.makeStatement(sql: "INSERT INTO _mf_copied (company_id, digest) VALUES (?, ?)")
            for (company, digest) in digests { try record.execute(arguments: [company, Data(digest)]) }
            for table in tables {
                guard let column = table.companyColumn else { continue }
                for (event, row) in [("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")] {
                    try db.execute(sql: """
                        CREATE TRIGGER _mf_\(table.name)_\(event.lowercased()) AFTER \(event) ON \(table.name)
                        BEGIN INSERT OR IGNORE INTO _mf_touched (company_id) VALUES (\(row).\(column)); END
                        """)
                }
                // An update that moves a row to another company touches both.
                try db.execute(sql: """
                    CREATE TRIGGER _mf_\(table.name)_update_old AFTER UPDATE ON \(table.name)
                    BEGIN INSERT OR IGNORE INTO _mf_touched (company_id) VALUES (OLD.\(column)); END
                    """)
            }
        }
        let storeID = try queue.read { try String.fetchOne($0, sql: "SELECT value FROM store_meta WHERE key = 'store_id'") } ?? ""
        let base = try queue.read { try Int64.fetchOne($0, sql: "SELECT COALESCE(MAX(id), 0) FROM revisions") } ?? 0
        try queue.close()
        return (storeID, base)
    }

    // MARK: Push

    /// The lock key of a store: the first 8 bytes of SHA-256 of its id.
    static func lockKey(_ storeID: String) -> Int64 {
        let digest = Digest.sha256(Array(("mailform-store:" + storeID).utf8))
        return digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// Carries what the copy's last write changed back to PostgreSQL, in
    /// one transaction (see the type's description).
    /// - Throws: `Store.Failure`: locked longer than the lock timeout (with
    ///   the holder's pid and how long it has held the lock), stale, or the
    ///   server's error; PostgreSQL is then unchanged.
    func push(_ pool: any DatabaseWriter) throws {
        var offset: Int64 = 0
        let (tables, touched, copied) = try pool.read { db -> ([Table], [String], [String: Data]) in
            let tables = try Self.tables(db)
            let touched = try String.fetchAll(db, sql: "SELECT company_id FROM _mf_touched ORDER BY company_id")
            var copied: [String: Data] = [:]
            for chunk in stride(from: 0, to: touched.count, by: 500).map({ Array(touched[$0..<min($0 + 500, touched.count)]) }) {
                let rows = try Row.fetchAll(db, sql: "SELECT company_id, digest FROM _mf_copied WHERE company_id IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ",")))",
                                            arguments: StatementArguments(chunk))
                for row in rows { copied[row[0]] = row[1] }
            }
            return (tables, touched, copied)
        }
        let connection = try PostgresConnection(url: url, lockTimeout: lockTimeout)
        do {
            // READ COMMITTED: each statement sees what was committed before
            // it, so the checks after the lock see every apply that held it
            // before (a SERIALIZABLE snapshot would be taken by the lock's
            // own statement, before the wait). Writers that do not take the
            // lock (the settings page) are kept out of the touched companies'
            // rows by FOR UPDATE below, until the commit.
            try connection.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            let key = Self.lockKey(storeID)
            do {
                try connection.execute("SELECT pg_advisory_xact_lock($1::bigint)", [String(key)])
            } catch let error as PostgresConnection.ServerError where error.sqlState == "55P03" {
                throw lockedFailure(connection, key: key)
            }
            // Applies that committed since the copy (to other companies: the
            // touched ones are checked next): this write's revisions follow
            // theirs. Its revision ids, and the columns that name them, move
            // up by as many.
            let latest = try connection.execute("SELECT COALESCE(MAX(id), 0) FROM revisions")
            let now = Int64((latest.first?.first ?? nil) ?? "0") ?? 0
            guard now >= revisionBase else {
                throw Store.Failure("stale plan: the store \(display) has fewer revisions (\(now)) than this run read (\(revisionBase)); run it again", code: .planStale)
            }
            offset = now - revisionBase
            // The touched companies are as they were copied.
            let companyTables = tables.filter { $0.companyColumn != nil }
            var current: [String: [UInt8]] = [:]
            for chunk in stride(from: 0, to: touched.count, by: 1_000).map({ Array(touched[$0..<min($0 + 1_000, touched.count)]) }) {
                let list = "{" + chunk.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
                for table in companyTables {
                    let column = table.companyColumn!
                    let index = table.columns.firstIndex { $0.name == column }!
                    try connection.query(Self.select(table, where: " WHERE \"\(column)\" = ANY($1::text[])") + " FOR UPDATE", [list]) { texts in
                        var row: [DatabaseValue] = []
                        for (i, text) in texts.enumerated() { row.append(try Self.value(text, type: table.columns[i].type)) }
                        if case .string(let company) = row[index].storage { current[company] = Self.chain(current[company], table: table.name, row: row) }
                    }
                }
                if chunk.contains(where: { current[$0].map { Data($0) } != copied[$0] }) {
                    let changed = chunk.first { current[$0].map { Data($0) } != copied[$0] } ?? ""
                    throw Store.Failure("stale plan: company \(SafeText.escape(changed)) changed in the store \(display) while this run worked on it (another apply, or the settings page); run it again",
                                        code: .planStale)
                }
                // Replace them: delete (children go with their company), then
                // copy in. A company new to this run must still be absent:
                // one another writer created after the check above is found
                // here, and stops the push.
                for table in companyTables.reversed() {
                    let deleted = try connection.execute("DELETE FROM \(table.name) WHERE \"\(table.companyColumn!)\" = ANY($1::text[]) RETURNING \"\(table.companyColumn!)\"", [list])
                    if let created = deleted.compactMap({ $0.first ?? nil }).first(where: { copied[$0] == nil }) {
                        throw Store.Failure("stale plan: company \(SafeText.escape(created)) was created in the store \(display) while this run worked on it (another apply, or the settings page); run it again",
                                            code: .planStale)
                    }
                }
            }
            try pool.read { db in
                for table in tables {
                    let condition: String
                    if table.companyColumn != nil {
                        condition = " WHERE \"\(table.companyColumn!)\" IN (SELECT company_id FROM _mf_touched)"
                    } else if table.name == "revisions" {
                        condition = " WHERE id > \(revisionBase)"
                    } else if table.name == "revision_changes" {
                        condition = " WHERE revision_id > \(revisionBase)"
                    } else {
                        // store_meta: the copy's rows, upserted; a row another
                        // writer added is kept.
                        try upsert(table, from: db, to: connection)
                        continue
                    }
                    try copyIn(table, condition: condition, from: db, to: connection, offset: offset)
                }
            }
            try connection.execute("COMMIT")
        } catch let error as PostgresConnection.ServerError {
            if error.sqlState == "40001" || error.sqlState == "40P01" || error.sqlState == "23505" {
                throw Store.Failure("stale plan: another writer changed the store \(display) at the same time; run it again", code: .planStale)
            }
            if error.sqlState == "55P03" {
                throw Store.Failure("a company's rows in the store \(display) are locked by another writer (the settings page?); gave up after --lock-timeout",
                                    code: .storeLocked)
            }
            throw Store.Failure("store error at \(display): \(error.message)", code: .storeWrite)
        }
        // The copy now matches PostgreSQL again: its new revisions take the
        // ids PostgreSQL gave them.
        try pool.write { db in
            if offset > 0 {
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                for (table, column) in Self.revisionColumns {
                    // Through negative values: a moved id never meets one not moved yet.
                    try db.execute(sql: "UPDATE \(table) SET \(column) = -(\(column) + ?) WHERE \(column) > ?", arguments: [offset, revisionBase])
                    try db.execute(sql: "UPDATE \(table) SET \(column) = -\(column) WHERE \(column) < 0")
                }
            }
            let touchedNow = try String.fetchAll(db, sql: "SELECT company_id FROM _mf_touched")
            var digests: [String: [UInt8]] = [:]
            for table in tables where table.companyColumn != nil {
                let index = table.columns.firstIndex { $0.name == table.companyColumn! }!
                let rows = try Row.fetchCursor(db, sql: Self.selectCopy(table, where: " WHERE \"\(table.companyColumn!)\" IN (SELECT company_id FROM _mf_touched)"))
                while let row = try rows.next() {
                    let values = (0..<table.columns.count).map { row[$0] as DatabaseValue }
                    if case .string(let company) = values[index].storage { digests[company] = Self.chain(digests[company], table: table.name, row: values) }
                }
            }
            try db.execute(sql: "DELETE FROM _mf_copied WHERE company_id IN (SELECT company_id FROM _mf_touched)")
            let record = try db.makeStatement(sql: "INSERT INTO _mf_copied (company_id, digest) VALUES (?, ?)")
            for company in touchedNow { if let digest = digests[company] { try record.execute(arguments: [company, Data(digest)]) } }
            try db.execute(sql: "DELETE FROM _mf_touched")
            try db.execute(sql: "DELETE FROM _mf_meta_copied; INSERT INTO _mf_meta_copied SELECT * FROM store_meta")
        }
        revisionBase = try pool.read { try Int64.fetchOne($0, sql: "SELECT COALESCE(MAX(id), 0) FROM revisions") } ?? revisionBase
    }

    /// Every row of a small store-wide table (`store_meta`), inserted or updated by its key.
    private func upsert(_ table: Table, from db: Database, to connection: PostgresConnection) throws {
        let columns = table.columns.map { column -> String in "\"\(column.name)\"" }
        let keys = table.primaryKey.map { key -> String in "\"\(key)\"" }
        let others = table.columns.map(\.name).filter { !table.primaryKey.contains($0) }
        let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
        let update = others.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + others.map { "\"\($0)\" = EXCLUDED.\"\($0)\"" }.joined(separator: ", ")
        let sql = "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT (\(keys.joined(separator: ", "))) \(update)"
        // Only the rows this run changed: a value another writer set since
        // the copy is never set back.
        let changed = "SELECT \(columns.joined(separator: ", ")) FROM \(table.name) EXCEPT SELECT \(columns.joined(separator: ", ")) FROM _mf_meta_copied"
        for row in try Row.fetchAll(db, sql: changed) {
            let values: [String?] = (0..<table.columns.count).map { i in
                switch (row[i] as DatabaseValue).storage {
                case .null: nil
                case .int64(let n): String(n)
                case .double(let d): String(d)
                case .string(let s): s
                case .blob(let b): { var hex = Array("\\x".utf8); Digest.appendHex(b, to: &hex); return String(decoding: hex, as: UTF8.self) }()
                }
            }
            try connection.execute(sql, values)
        }
    }

    /// The columns that hold a store revision id (moved by a push that
    /// follows applies committed since the copy).
    static let revisionColumns: [(table: String, column: String)] = [
        ("revision_changes", "revision_id"), ("companies", "updated_by_revision"), ("written_state", "store_revision"), ("revisions", "id"),
    ]

    /// The copy's `SELECT`, in SQLite's byte order.
    static func selectCopy(_ table: Table, where condition: String) -> String { select(table, where: condition, postgres: false) }

    /// Rows of the copy into PostgreSQL with `COPY … FROM STDIN` (text format).
    private func copyIn(_ table: Table, condition: String, from db: Database, to connection: PostgresConnection, offset: Int64) throws {
        let rows = try Row.fetchCursor(db, sql: Self.selectCopy(table, where: condition))
        let moved = Set(Self.revisionColumns.filter { $0.table == table.name }.compactMap { column in table.columns.firstIndex { $0.name == column.column } })
        let base = revisionBase
        let columns = table.columns.map { column -> String in "\"\(column.name)\"" }.joined(separator: ", ")
        try connection.copyIn("COPY \(table.name) (\(columns)) FROM STDIN") { buffer in
            var produced = 0
            while produced < 2_000, let row = try rows.next() {
                for i in 0..<table.columns.count {
                    if i > 0 { buffer.append(0x09) }
                    var value = row[i] as DatabaseValue
                    if offset > 0, moved.contains(i), case .int64(let n) = value.storage, n > base { value = (n + offset).databaseValue }
                    Self.copyText(value, into: &buffer)
                }
                buffer.append(0x0A)
                produced += 1
            }
            return produced == 2_000
        }
    }

    /// A value in COPY's text format: `\N` for NULL; backslash, tab, line
    /// feed and carriage return escaped; bytes as bytea's `\x` hex (its
    /// backslash escaped).
    static func copyText(_ value: DatabaseValue, into out: inout [UInt8]) {
        switch value.storage {
        case .null: out += [0x5C, 0x4E]
        case .int64(let n): out += Array(String(n).utf8)
        case .double(let d): out += Array(String(d).utf8)
        case .string(let s):
            for byte in s.utf8 {
                switch byte {
                case 0x5C: out += [0x5C, 0x5C]
                case 0x09: out += [0x5C, 0x74]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                default: out.append(byte)
                }
            }
        case .blob(let data):
            out += [0x5C, 0x5C, 0x78]
            Digest.appendHex(data, to: &out)
        }
    }

    /// The lock is held by another session: who, and since when.
    private func lockedFailure(_ connection: PostgresConnection, key: Int64) -> Store.Failure {
        _ = try? connection.execute("ROLLBACK")
        let classid = String(Int32(truncatingIfNeeded: key >> 32)), objid = String(UInt32(truncatingIfNeeded: key))
        let holder = try? connection.execute("""
            SELECT a.pid, EXTRACT(EPOCH FROM (now() - a.xact_start))::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = ($1::int::bigint & 4294967295) AND l.objid::bigint = $2::bigint LIMIT 1
            """, [classid, objid])
        let pid = holder?.first?.first ?? nil, held = holder?.first?.dropFirst().first ?? nil
        let who = pid.map { " by the session with pid \($0)\(held.map { ", for \($0) s" } ?? "")" } ?? ""
        return Store.Failure("store is locked by another apply\(who) (\(display)); gave up after \(String(format: "%g", Store.bounded(lockTimeout))) s (--lock-timeout)",
                             code: .storeLocked)
    }
}

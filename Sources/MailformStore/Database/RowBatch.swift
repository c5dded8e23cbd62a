import Foundation
import GRDB
import GRDBSQLite
import MailformCore

/// Rows to write, gathered table by table with their values already
/// encoded, so that an apply makes them on any thread and the writing
/// connection only binds and steps.
///
/// Why this shape: at 10,000 companies an apply writes some 41,000 rows in
/// one transaction, on one thread, while everything else of the apply can
/// run on every core. Per value, GRDB's arguments box, retain, check and
/// copy (twice SQLite's own work per row, measured with perf); here each
/// value is a plain cell pointing into one byte buffer, bound with
/// `SQLITE_STATIC` (SQLite reads the bytes in place) through the
/// connection's C API, a hundred rows to an INSERT.
struct RowBatch: Sendable {
    /// The tables a company's rows go to, in the order they are written:
    /// `companies` first, as every other table's foreign key points at it
    /// (or at `revisions`, written before any batch); each HTTP-API
    /// provider's own table (`mailgun_settings`) among them, its columns
    /// from its fields.
    struct Table: Sendable, Equatable {
        let rawValue: Int

        static let companies = Table(rawValue: 0)
        static let secrets = Table(rawValue: 1)
        static let smtpServers = Table(rawValue: 2)
        static let smtpPools = Table(rawValue: 3)
        static let writtenState = Table(rawValue: 4)
        static let revisionChanges = Table(rawValue: 5)
        private static let fixed = 6

        /// An HTTP-API provider's table.
        static func provider(_ provider: Provider) -> Table {
            guard let index = ProviderSchemes.apis.firstIndex(where: { $0.provider == provider }) else {
                preconditionFailure("no table for provider \(provider): only registered providers have sections")
            }
            return Table(rawValue: fixed + index)
        }

        /// In write order.
        static let allCases: [Table] = [.companies, .secrets, .smtpServers, .smtpPools]
            + ProviderSchemes.apis.map { provider($0.provider) } + [.writtenState, .revisionChanges]
        static let count = fixed + ProviderSchemes.apis.count

        var name: String { Table.names[rawValue] }

        /// The columns a row gives values for, in order: the one description
        /// the statements and the row makers (`CompanyRows.rows`) follow.
        var columns: [String] { Table.columnsByTable[rawValue] }

        private static let names: [String] = ["companies", "secrets", "smtp_servers", "smtp_pools", "written_state", "revision_changes"]
            + ProviderSchemes.apis.map(\.table)

        private static let columnsByTable: [[String]] = [
            ["id", "revision", "logo_url", "logo_file_name", "logo_media_type", "logo_data", "logo_sha256",
             "probe_disabled_reason", "updated_at", "updated_by_revision", "waivers"] + CompanyShape.companyColumns.map(\.column),
            ["company_id", "path", "key_id", "nonce", "ciphertext", "tag", "fingerprint", "reference"],
            ["company_id", "pool_name", "position"] + SMTPServerShape.fields.map(\.column),
            ["company_id", "name", "use_for", "strategy"],
            ["company_id", "store_revision", "digest", "fields"],
            ["revision_id", "company_id", "action", "fields"],
        ] + ProviderSchemes.apis.map { ["company_id"] + $0.columns }

        /// Rows per INSERT: a hundred, within SQLite's 32,766 bound parameters.
        var rowsPerStatement: Int { min(100, 32_000 / columns.count) }

        /// `INSERT INTO table (columns) VALUES (?, …), (?, …)` for `rows` rows.
        func insertSQL(rows: Int) -> String {
            let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            return "INSERT INTO \(name) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: rows).joined(separator: ", ")
        }
    }

    /// A value as the caller gives it.
    enum Value {
        case null
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        /// The id of the revision the rows are written in, known only then.
        case storeRevision

        static func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }
        static func integer(_ value: Int) -> Value { .integer(Int64(value)) }
    }

    /// A value as the batch holds it: text and blobs are ranges of `bytes`.
    private enum Cell {
        case null
        case integer(Int64)
        case text(offset: Int, count: Int)
        case blob(offset: Int, count: Int)
        case storeRevision
    }

    /// Companies whose rows go before any insert (their other tables' rows
    /// go with them: every foreign key cascades).
    private(set) var deletedCompanies: [String] = []
    /// Per table, its rows' cells one after the other.
    private var cells: [[Cell]] = Array(repeating: [], count: Table.count)
    private var bytes: [UInt8] = []

    init() {}

    /// How many rows `table` has.
    func count(_ table: Table) -> Int { cells[table.rawValue].count / table.columns.count }

    mutating func delete(company id: String) { deletedCompanies.append(id) }

    /// The row being added (`beginRow` … `endRow`): its table and first cell.
    private var open: (table: Table, start: Int)?

    /// Adds a row: one value per column of `table`, in its order.
    /// Each value names its column; a name that is not the table's next
    /// column stops a debug build (the tests), so rows are checked by name,
    /// not only by count.
    mutating func append(_ table: Table, _ row: KeyValuePairs<String, Value>) {
        beginRow(table)
        for (column, value) in row { add(value, column) }
        endRow()
    }

    /// Adds the value of `column`, the open row's next column.
    mutating func add(_ value: Value, _ column: String) {
        assert({
            guard let (table, start) = open else { return false }
            let index = cells[table.rawValue].count - start
            return index < table.columns.count && table.columns[index] == column
        }(), "a value for \(column) where \(open.map { $0.table.name } ?? "no table") has another column")
        add(value)
    }

    /// Starts a row of `table`; `add` gives its values, `endRow` checks their count.
    mutating func beginRow(_ table: Table) {
        precondition(open == nil, "a row of \(open!.table.name) was not ended")
        open = (table, cells[table.rawValue].count)
    }

    private mutating func add(_ value: Value) {
        guard let table = open?.table.rawValue else { preconditionFailure("a value outside a row") }
        switch value {
        case .null: cells[table].append(.null)
        case .storeRevision: cells[table].append(.storeRevision)
        case .integer(let i): cells[table].append(.integer(i))
        case .text(let text):
            let offset = bytes.count
            bytes.append(contentsOf: text.utf8)
            cells[table].append(.text(offset: offset, count: bytes.count - offset))
        case .blob(let blob):
            let offset = bytes.count
            bytes.append(contentsOf: blob)
            cells[table].append(.blob(offset: offset, count: blob.count))
        }
    }

    mutating func endRow() {
        guard let (table, start) = open else { preconditionFailure("no row to end") }
        let count = cells[table.rawValue].count - start
        precondition(count == table.columns.count, "a row of \(table.name) needs \(table.columns.count) values, got \(count)")
        open = nil
    }

    /// Adds another batch's rows after this one's.
    mutating func append(_ other: RowBatch) {
        deletedCompanies += other.deletedCompanies
        let base = bytes.count
        bytes += other.bytes
        for table in Table.allCases {
            cells[table.rawValue].reserveCapacity(cells[table.rawValue].count + other.cells[table.rawValue].count)
            for cell in other.cells[table.rawValue] {
                switch cell {
                case .text(let offset, let count): cells[table.rawValue].append(.text(offset: base + offset, count: count))
                case .blob(let offset, let count): cells[table.rawValue].append(.blob(offset: base + offset, count: count))
                case .null, .integer, .storeRevision: cells[table.rawValue].append(cell)
                }
            }
        }
    }

    /// Writes the batch on `db`: every deletion, then each table's rows.
    /// Callers hold a transaction; a failure (thrown as GRDB's
    /// `DatabaseError`) leaves it to roll back.
    /// - Parameter statements: the INSERTs prepared so far on `db`, kept for
    ///   the next batches (an INSERT of a hundred rows binds some thousand
    ///   values: preparing it again for each batch of an apply of 100,000
    ///   companies took 0.45 s of the writing thread).
    func write(_ db: Database, storeRevision: Int64, statements: Statements) throws {
        let maxIDs = 2_000
        for start in stride(from: 0, to: deletedCompanies.count, by: maxIDs) {
            let ids = deletedCompanies[start..<min(start + maxIDs, deletedCompanies.count)]
            try db.execute(sql: "DELETE FROM companies WHERE id IN (" + Array(repeating: "?", count: ids.count).joined(separator: ", ") + ")",
                           arguments: StatementArguments(ids))
        }
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the store is closed") }
        // SQLite reads a text or blob of length 0 as empty from a non-NULL
        // pointer (NULL would bind NULL): the buffer is never empty.
        let bytes = self.bytes.isEmpty ? [0] : self.bytes
        try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            for table in Table.allCases {
                let rowCells = cells[table.rawValue]
                let width = table.columns.count
                let perStatement = table.rowsPerStatement * width
                for start in stride(from: 0, to: rowCells.count, by: perStatement) {
                    let end = min(start + perStatement, rowCells.count)
                    let statement = try statements.statement(table, rows: (end - start) / width, connection)
                    sqlite3_reset(statement)
                    for (index, cell) in rowCells[start..<end].enumerated() {
                        let position = Int32(index + 1)
                        let code: Int32
                        switch cell {
                        case .null: code = sqlite3_bind_null(statement, position)
                        case .integer(let i): code = sqlite3_bind_int64(statement, position, i)
                        case .storeRevision: code = sqlite3_bind_int64(statement, position, storeRevision)
                        case .text(let offset, let count):
                            code = sqlite3_bind_text(statement, position, (base + offset).assumingMemoryBound(to: CChar.self), Int32(count), nil)
                        case .blob(let offset, let count):
                            code = sqlite3_bind_blob(statement, position, base + offset, Int32(count), nil)
                        }
                        guard code == SQLITE_OK else { throw RowBatch.error(code, connection) }
                    }
                    let code = sqlite3_step(statement)
                    guard code == SQLITE_DONE else { throw RowBatch.error(code, connection) }
                }
            }
        }
    }

    private static func error(_ code: Int32, _ connection: OpaquePointer) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
    }

    /// The INSERTs of a transaction's batches, each prepared once: by table
    /// and number of rows (a hundred, and what a batch has left over).
    /// Finalized by `finalize()`, before the transaction ends.
    final class Statements {
        private var prepared: [Int: OpaquePointer] = [:]

        init() {}

        deinit { finalize() }

        func statement(_ table: Table, rows: Int, _ connection: OpaquePointer) throws -> OpaquePointer {
            let key = table.rawValue << 16 | rows
            if let statement = prepared[key] { return statement }
            var statement: OpaquePointer?
            let code = sqlite3_prepare_v3(connection, table.insertSQL(rows: rows), -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard code == SQLITE_OK, let statement else {
                sqlite3_finalize(statement)
                throw RowBatch.error(code, connection)
            }
            prepared[key] = statement
            return statement
        }

        func finalize() {
            for statement in prepared.values { sqlite3_finalize(statement) }
            prepared = [:]
        }
    }
}

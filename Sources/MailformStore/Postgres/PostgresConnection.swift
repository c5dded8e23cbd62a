import CPostgres
import Foundation
import MailformCore

/// One libpq connection to a PostgreSQL store, with text parameters and
/// results. The password comes only from libpq's own sources (`PGPASSWORD`,
/// `~/.pgpass`, `PGSERVICE`): a store URL holds none (``StoreLocation``), and
/// libpq's messages never quote one.
final class PostgresConnection {
    private let conn: OpaquePointer
    /// The URL as shown (it holds no password).
    let display: String

    /// A statement the server refused, with its SQLSTATE (`55P03`: lock not available).
    struct ServerError: MailformError {
        var sqlState: String
        var message: String
        var description: String { message }
        var code: ErrorCode { .storeWrite }
    }

    /// - Throws: `Store.Failure` (`store-unreadable`) when the server is down
    ///   or refuses the login; the message is libpq's, after the URL.
    init(url: String, connectTimeout: Int = 10, lockTimeout: TimeInterval = 10) throws {
        display = StoreLocation.display(url)
        // Defaults first: the URL's own connect_timeout, later, wins.
        let keys = ["connect_timeout", "application_name", "dbname"]
        let values = [String(connectTimeout), "mailform", url]
        let made: OpaquePointer? = keys.withCStrings { k in values.withCStrings { v in PQconnectdbParams(k, v, 1) } }
        guard let made else { throw Store.Failure("cannot reach the store \(display): out of memory") }
        guard PQstatus(made) == CONNECTION_OK else {
            let reason = Self.clean(String(cString: PQerrorMessage(made)))
            PQfinish(made)
            throw Store.Failure("cannot open the store \(display): \(reason)",
                                hint: "check that the server runs and the user may log in; the password comes from PGPASSWORD, ~/.pgpass or PGSERVICE, never from the URL")
        }
        conn = made
        // The session's settings are mailform's, whatever PGOPTIONS, the
        // database or the role say: text is UTF-8 (a LATIN1 client encoding
        // once stored 'MÃ¼ller'), bytes come as hex, and no lock (a table's,
        // the store's) is waited for longer than --lock-timeout (at least 1 ms:
        // 0 would mean "no limit").
        guard PQsetClientEncoding(conn, "UTF8") == 0 else {
            throw Store.Failure("cannot open the store \(display): the server cannot speak UTF-8")
        }
        let lockMilliseconds = max(1, Int((Store.bounded(lockTimeout) * 1000).rounded()))
        do {
            for setting in ["client_min_messages = warning", "bytea_output = 'hex'", "standard_conforming_strings = on",
                            "lock_timeout = '\(lockMilliseconds)ms'", "default_transaction_read_only = off"] {
                try execute("SET " + setting)
            }
        } catch let error as ServerError {
            throw Store.Failure("cannot open the store \(display): \(error.message)")
        }
    }

    deinit { PQfinish(conn) }

    /// libpq's message on one line, without its "FATAL:" or "ERROR:" prefix.
    static func clean(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
            .replacingOccurrences(of: "FATAL:  ", with: "").replacingOccurrences(of: "ERROR:  ", with: "")
    }

    /// Runs one statement (`?`-free SQL; parameters as `$1`…); returns its rows as text.
    /// - Throws: ``ServerError``.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        var rows: [[String?]] = []
        try query(sql, parameters) { rows.append($0) }
        return rows
    }

    /// Runs one statement and hands its rows over one at a time (libpq's
    /// single-row mode: a table of any size is never held whole).
    /// - Throws: ``ServerError``, or what `each` throws (the rest is drained).
    func query(_ sql: String, _ parameters: [String?] = [], _ each: ([String?]) throws -> Void) throws {
        let sent: Int32 = parameters.withOptionalCStrings { values in
            PQsendQueryParams(conn, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw ServerError(sqlState: "08006", message: Self.clean(String(cString: PQerrorMessage(conn)))) }
        PQsetSingleRowMode(conn)
        var failure: Error?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                guard failure == nil else { continue }
                let columns = PQnfields(result)
                var row: [String?] = []
                row.reserveCapacity(Int(columns))
                for c in 0..<columns {
                    row.append(PQgetisnull(result, 0, c) == 1 ? nil : String(cString: PQgetvalue(result, 0, c)))
                }
                do { try each(row) } catch { failure = error }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                continue
            default:
                if failure == nil { failure = Self.serverError(result) }
            }
        }
        if let failure { throw failure }
    }

    /// `COPY … FROM STDIN` in text format: `produce` appends lines to the
    /// buffer and returns false when there are no more.
    /// - Throws: ``ServerError``, or what `produce` throws (the copy is then ended with an error).
    func copyIn(_ sql: String, _ produce: (inout [UInt8]) throws -> Bool) throws {
        let started = PQexec(conn, sql)
        defer { PQclear(started) }
        guard PQresultStatus(started) == PGRES_COPY_IN else { throw Self.serverError(started) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var more = true
        var failure: Error?
        while more {
            do { more = try produce(&buffer) } catch { failure = error; break }
            if buffer.count >= 1 << 20 || (!more && !buffer.isEmpty) {
                let put = buffer.withUnsafeBytes { PQputCopyData(conn, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count)) }
                guard put == 1 else { failure = ServerError(sqlState: "08006", message: Self.clean(String(cString: PQerrorMessage(conn)))); break }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        _ = PQputCopyEnd(conn, failure == nil ? nil : "mailform stopped the copy")
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            if PQresultStatus(result) != PGRES_COMMAND_OK && failure == nil { failure = Self.serverError(result) }
        }
        if let failure { throw failure }
    }

    private static func serverError(_ result: OpaquePointer?) -> ServerError {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        return ServerError(sqlState: state, message: clean(String(cString: PQresultErrorMessage(result))))
    }
}

extension Array where Element == String {
    /// The strings as a C array of C strings, for libpq.
    func withCStrings<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafePointer<CChar>?] = map { UnsafePointer(strdup($0)) }
        pointers.append(nil)
        defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension Array where Element == String? {
    /// The strings (nil: SQL NULL) as a C array, for libpq's parameters.
    func withOptionalCStrings<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let pointers: [UnsafePointer<CChar>?] = map { $0.map { UnsafePointer(strdup($0)) } ?? nil }
        defer { for p in pointers { free(UnsafeMutablePointer(mutating: p)) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

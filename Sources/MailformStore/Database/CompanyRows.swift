import Foundation
import GRDB
import MailformCore

/// A secret as stored: encrypted, with its keyed fingerprint.
public struct StoredSecret: Sendable {
    public var sealed: SealedSecret
    public var fingerprint: SecretFingerprint
}

/// A company as the store holds it, with its revision.
public struct StoredCompany: Sendable {
    public var company: Company<StoredSecret>
    public var revision: Int
}

/// A row holds a value its column cannot mean.
struct StoreShapeError: Error, CustomStringConvertible {
    var column: String
    var description: String { "the store's \(column) holds a value mailform cannot read" }
}

/// Maps companies to rows and back. One place knows the table layout.
enum CompanyRows {
    static let mailgunKeyPath = Company<StoredSecret>.mailgunKeyPath

    // MARK: Reading

    /// Which companies a read covers.
    enum Selection {
        case all
        /// Ids from `low` to `high` (inclusive), in SQLite's order of TEXT.
        case range(String, String)
        /// These ids (at most `maxIDs` of them).
        case ids([String])

        /// At most this many ids per `.ids` read: SQLite's limit on bound parameters is 32,766.
        static let maxIDs = 2_000

        /// The WHERE clause over the column holding the company id, and its arguments.
        func clause(_ column: String) -> (sql: String, arguments: StatementArguments) {
            switch self {
            case .all: ("", [])
            case .range(let low, let high): (" WHERE \(column) BETWEEN ? AND ?", [low, high])
            case .ids(let ids):
                (" WHERE \(column) IN (" + Array(repeating: "?", count: ids.count).joined(separator: ", ") + ")",
                 StatementArguments(ids))
            }
        }
    }

    static func readAll(_ db: Database) throws -> [String: StoredCompany] { try read(.all, db) }

    /// The companies of `ids`, read by the primary keys (one query per table
    /// and chunk of ids).
    static func read(ids: some Collection<String>, _ db: Database) throws -> [String: StoredCompany] {
        var result: [String: StoredCompany] = [:]
        let all = Array(ids)
        for start in stride(from: 0, to: all.count, by: Selection.maxIDs) {
            result.merge(try read(.ids(Array(all[start..<min(start + Selection.maxIDs, all.count)])), db)) { a, _ in a }
        }
        return result
    }

    /// Every company as a summary: revision, name and the digest of its
    /// flattened fields. Read in chunks of ids, so memory holds one chunk of
    /// whole companies, not the store (100,000 companies took 200 MB).
    static func readSummaries(_ db: Database, chunk: Int = 2_000) throws -> [String: StoredSummary] {
        let ids = try String.fetchAll(db, sql: "SELECT id FROM companies ORDER BY id")
        var result: [String: StoredSummary] = [:]
        result.reserveCapacity(ids.count)
        for start in stride(from: 0, to: ids.count, by: chunk) {
            let end = min(start + chunk, ids.count)
            let companies = Array(try read(.range(ids[start], ids[end - 1]), sealed: false, db).values)
            let summaries = Parallel.map(companies.count) { i in
                StoredSummary(name: companies[i].company.name, revision: companies[i].revision,
                              digest: FieldsDigest(FieldFlattener.flatten(companies[i].company, fingerprint: \.fingerprint)))
            }
            for (stored, summary) in zip(companies, summaries) { result[stored.company.id] = summary }
        }
        return result
    }

    /// - Parameter sealed: read the encrypted values too (a summary needs
    ///   only the fingerprints; without, each secret's `sealed` is empty).
    static func read(_ selection: Selection, sealed: Bool = true, _ db: Database) throws -> [String: StoredCompany] {
        let byCompany = selection.clause("company_id")
        var secrets: [String: [String: StoredSecret]] = [:]
        let columns = sealed ? "company_id, path, key_id, nonce, ciphertext, tag, fingerprint" : "company_id, path, fingerprint"
        let rows1 = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM secrets" + byCompany.sql, arguments: byCompany.arguments)
        while let row = try rows1.next() {
            let sealed = !sealed ? SealedSecret(keyID: "", nonce: [], ciphertext: [], tag: [])
                : SealedSecret(keyID: row["key_id"], nonce: [UInt8](row["nonce"] as Data),
                               ciphertext: [UInt8](row["ciphertext"] as Data), tag: [UInt8](row["tag"] as Data))
            secrets[row["company_id"], default: [:]][row["path"]] = StoredSecret(sealed: sealed, fingerprint: SecretFingerprint(hex: row["fingerprint"]))
        }
        var servers: [String: [String: [SMTPServer<StoredSecret>]]] = [:]
        let rows2 = try Row.fetchCursor(db, sql: "SELECT * FROM smtp_servers" + byCompany.sql + " ORDER BY company_id, pool_name, position",
                                        arguments: byCompany.arguments)
        while let row = try rows2.next() {
            let company: String = row["company_id"]
            let pool: String = row["pool_name"]
            let server = try serverFromRow(row, secrets: secrets[company] ?? [:])
            servers[company, default: [:]][pool, default: []].append(server)
        }
        var pools: [String: [SMTPPool<StoredSecret>]] = [:]
        let rows3 = try Row.fetchCursor(db, sql: "SELECT * FROM smtp_pools" + byCompany.sql + " ORDER BY company_id, name",
                                        arguments: byCompany.arguments)
        while let row = try rows3.next() {
            let company: String = row["company_id"]
            let name: String = row["name"]
            let useFor: String = row["use_for"]
            pools[company, default: []].append(SMTPPool(
                name: name, useFor: useFor.split(separator: " ").compactMap { MailPurpose(rawValue: String($0)) },
                strategy: PoolStrategy(rawValue: row["strategy"]) ?? .failover, servers: servers[company]?[name] ?? []))
        }
        var mailgun: [String: MailgunSettings<StoredSecret>] = [:]
        let rows4 = try Row.fetchCursor(db, sql: "SELECT * FROM mailgun_settings" + byCompany.sql, arguments: byCompany.arguments)
        while let row = try rows4.next() {
            let company: String = row["company_id"]
            guard let key = secrets[company]?[row["api_key_secret"] as String] else {
                throw StoreShapeError(column: "mailgun_settings.api_key_secret")
            }
            var scalars = CompanyScalars()
            for (field, column) in CompanyShape.mailgunColumns {
                guard field.assign(row[column], to: &scalars) else { throw StoreShapeError(column: "mailgun_settings.\(column)") }
            }
            mailgun[company] = MailgunSettings(domain: scalars.mailgunDomain ?? "", apiKey: key, region: scalars.mailgunRegion ?? .us)
        }
        var result: [String: StoredCompany] = [:]
        let byID = selection.clause("id")
        let rows5 = try Row.fetchCursor(db, sql: "SELECT * FROM companies" + byID.sql, arguments: byID.arguments)
        while let row = try rows5.next() {
            let id: String = row["id"]
            var logo: Logo?
            if let url: String = row["logo_url"] {
                logo = .url(url)
            } else if let data: Data = row["logo_data"] {
                logo = .image(LogoImage(fileName: row["logo_file_name"] ?? "logo", mediaType: row["logo_media_type"] ?? "",
                                        bytes: [UInt8](data), sha256: row["logo_sha256"] ?? ""))
            }
            var scalars = CompanyScalars()
            for (field, column) in CompanyShape.companyColumns {
                guard field.assign(row[column], to: &scalars) else { throw StoreShapeError(column: "companies.\(column)") }
            }
            var company = Company<StoredSecret>(
                id: id, name: nil, sender: Identity(email: "", name: nil), logo: logo, dsarSender: nil, provider: .platform,
                smtp: servers[id]?[""]?.first, mailgun: mailgun[id], pools: pools[id] ?? [],
                probeDisabledReason: row["probe_disabled_reason"])
            company.scalars = scalars
            result[id] = StoredCompany(company: company, revision: row["revision"])
        }
        return result
    }

    // MARK: Writing

    /// Replaces every row of a company. `revision` is the company's new revision.
    static func write(_ company: Company<StoredSecret>, revision: Int, storeRevision: Int64, at time: String, replacing: Bool = true,
                      _ db: Database) throws {
        try insert(rows(company, revision: revision, storeRevision: storeRevision, at: time, replacing: replacing), db)
    }

    /// One statement of a company's rows, with its arguments.
    struct Statement: @unchecked Sendable {
        var sql: String
        var arguments: StatementArguments
    }

    /// Executes prepared statements (on the writing connection: all the
    /// converting and boxing of values was done by `rows`, on any thread).
    static func insert(_ statements: [Statement], _ db: Database) throws {
        for statement in statements { try db.cachedStatement(sql: statement.sql).execute(arguments: statement.arguments) }
    }

    /// The same writes in fewer statements: every DELETE first (in order),
    /// then the `companies` rows, then each other table's rows, several rows
    /// to an INSERT. SQLite's work per row stays; the cost per statement
    /// (binding, stepping, GRDB's bookkeeping: a third of an apply's write)
    /// is paid once per hundred rows. One transaction holds them all, so
    /// the order between tables matters only for the foreign keys, which
    /// all point at `companies` (or `revisions`, written before).
    static func combine(_ statements: [Statement], rowsPerStatement: Int = 100) -> [Statement] {
        var deletes: [Statement] = []
        var order: [String] = []
        var groups: [String: [Statement]] = [:]
        for statement in statements {
            guard statement.sql.hasPrefix("INSERT INTO "), statement.sql.range(of: " VALUES (") != nil else {
                deletes.append(statement)
                continue
            }
            if groups[statement.sql] == nil {
                order.append(statement.sql)
                groups[statement.sql] = []
            }
            groups[statement.sql]!.append(statement)
        }
        order.sort { a, b in a == insertCompanySQL && b != insertCompanySQL }
        var out = deletes
        for sql in order {
            let rows = groups[sql]!
            let values = sql.range(of: " VALUES (")!
            let head = String(sql[..<values.lowerBound]) + " VALUES "
            let tuple = "(" + String(sql[values.upperBound...])
            let perRow = tuple.filter { $0 == "?" }.count
            let size = max(1, min(rowsPerStatement, 32_000 / max(perRow, 1)))
            for start in stride(from: 0, to: rows.count, by: size) {
                let slice = rows[start..<min(start + size, rows.count)]
                var arguments = StatementArguments()
                for row in slice { arguments += row.arguments }
                out.append(Statement(sql: head + Array(repeating: tuple, count: slice.count).joined(separator: ", "), arguments: arguments))
            }
        }
        return out
    }

    /// The statements that replace every row of a company. Made apart from
    /// the connection, so an apply prepares the next companies on other
    /// threads while SQLite writes these.
    static func rows(_ company: Company<StoredSecret>, revision: Int, storeRevision: Int64, at time: String,
                     replacing: Bool = true) -> [Statement] {
        var out: [Statement] = []
        if replacing { out.append(Statement(sql: "DELETE FROM companies WHERE id = ?", arguments: [company.id])) }
        var logoURL: String?, logoName: String?, logoType: String?, logoData: Data?, logoSHA: String?
        switch company.logo {
        case .url(let url)?: logoURL = url
        case .image(let image)?:
            logoName = image.fileName; logoType = image.mediaType; logoData = Data(image.bytes); logoSHA = image.sha256
        case nil: break
        }
        let scalars = company.scalars
        var arguments: [(any DatabaseValueConvertible)?] = [company.id, revision, logoURL, logoName, logoType, logoData, logoSHA,
                                                            company.probeDisabledReason, time, storeRevision]
        for (field, _) in CompanyShape.companyColumns { arguments.append(field.value(scalars)) }
        out.append(Statement(sql: insertCompanySQL, arguments: StatementArguments(arguments)))
        if let smtp = company.smtp { server(smtp, company: company.id, pool: nil, position: 0, into: &out) }
        for pool in company.pools {
            out.append(Statement(sql: "INSERT INTO smtp_pools (company_id, name, use_for, strategy) VALUES (?, ?, ?, ?)",
                                 arguments: [company.id, pool.name, pool.useFor.map(\.rawValue).joined(separator: " "), pool.strategy.rawValue]))
            for (i, s) in pool.servers.enumerated() { server(s, company: company.id, pool: pool.name, position: i, into: &out) }
        }
        if let mailgun = company.mailgun {
            out.append(secret(mailgun.apiKey, company: company.id, path: mailgunKeyPath))
            var arguments: [(any DatabaseValueConvertible)?] = [company.id, mailgunKeyPath]
            for (field, _) in CompanyShape.mailgunColumns { arguments.append(field.value(scalars)) }
            out.append(Statement(sql: insertMailgunSQL, arguments: StatementArguments(arguments)))
        }
        return out
    }

    static func delete(_ id: String, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM companies WHERE id = ?").execute(arguments: [id])
    }

    /// The columns of `companies` and `mailgun_settings` beyond the key, the
    /// logo, probe and bookkeeping ones: `CompanyShape`'s.
    static let insertCompanySQL = "INSERT INTO companies (id, revision, logo_url, logo_file_name, logo_media_type, logo_data, logo_sha256, "
        + "probe_disabled_reason, updated_at, updated_by_revision, " + CompanyShape.companyColumns.map(\.column).joined(separator: ", ")
        + ") VALUES (" + Array(repeating: "?", count: 10 + CompanyShape.companyColumns.count).joined(separator: ", ") + ")"
    static let insertMailgunSQL = "INSERT INTO mailgun_settings (company_id, api_key_secret, "
        + CompanyShape.mailgunColumns.map(\.column).joined(separator: ", ") + ") VALUES ("
        + Array(repeating: "?", count: 2 + CompanyShape.mailgunColumns.count).joined(separator: ", ") + ")"

    /// The columns of `smtp_servers` after the key, one per field of
    /// `SMTPServerShape` (a secret's column holds its `secrets.path`).
    static let serverColumns = SMTPServerShape.fields.map(\.column)
    static let insertServerSQL = "INSERT INTO smtp_servers (company_id, pool_name, position, "
        + serverColumns.joined(separator: ", ") + ") VALUES (?, ?, ?, "
        + serverColumns.map { _ in "?" }.joined(separator: ", ") + ")"

    private static func server(_ server: SMTPServer<StoredSecret>, company: String, pool: String?, position: Int, into out: inout [Statement]) {
        var arguments: [(any DatabaseValueConvertible)?] = [company, pool ?? "", position]
        let base = Company<StoredSecret>.serverPath(pool: pool, position: position)
        for field in SMTPServerShape.fields {
            if field.isSecret {
                guard let stored = server.secrets[field.key] else { arguments.append(nil); continue }
                let path = base + "." + field.key
                out.append(secret(stored, company: company, path: path))
                arguments.append(path)
                continue
            }
            switch field.value(server.settings) {
            case .text(let t)?: arguments.append(t)
            case .integer(let i)?: arguments.append(i)
            case .boolean(let b)?: arguments.append(b)
            // Whitespace-separated, as Jakarta Mail reads ssl.trust and ssl.protocols.
            case .list(let items)?: arguments.append(items.joined(separator: " "))
            case nil: arguments.append(field.kind == .list ? "" : nil)
            }
        }
        out.append(Statement(sql: insertServerSQL, arguments: StatementArguments(arguments)))
    }

    /// A server from its row; a value the shape does not accept is an error
    /// (a store written by another tool), never a silent default.
    static func serverFromRow(_ row: Row, secrets: [String: StoredSecret]) throws -> SMTPServer<StoredSecret> {
        var settings = SMTPSettings()
        var found: [String: StoredSecret] = [:]
        for field in SMTPServerShape.fields {
            let value: FieldScalar?
            switch field.kind {
            case .secret:
                if let path: String = row[field.column] {
                    guard let secret = secrets[path] else { throw StoreShapeError(column: "smtp_servers.\(field.column)") }
                    found[field.key] = secret
                }
                continue
            case .text: value = (row[field.column] as String?).map(FieldScalar.text)
            case .integer: value = (row[field.column] as Int?).map(FieldScalar.integer)
            case .boolean: value = (row[field.column] as Bool?).map(FieldScalar.boolean)
            case .list: value = (row[field.column] as String?).map { .list($0.split(separator: " ").map(String.init)) }
            }
            guard field.set(&settings, value) else { throw StoreShapeError(column: "smtp_servers.\(field.column)") }
        }
        return SMTPServer(settings: settings, secrets: found)
    }

    private static func secret(_ secret: StoredSecret, company: String, path: String) -> Statement {
        Statement(sql: "INSERT INTO secrets (company_id, path, key_id, nonce, ciphertext, tag, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  arguments: [company, path, secret.sealed.keyID, Data(secret.sealed.nonce), Data(secret.sealed.ciphertext),
                              Data(secret.sealed.tag), secret.fingerprint.hex])
    }
}

extension Company where SecretValue == StoredSecret {
    /// The view the diff compares.
    public var fingerprinted: Company<SecretFingerprint> { map(\.fingerprint) }
}

import Foundation
import GRDB
import MailformCore

/// A secret as stored: encrypted, with its keyed fingerprint and (from
/// store version 4 on) the reference it was read through, in
/// `fingerprint.reference`.
public struct StoredSecret: Sendable {
    public var sealed: SealedSecret
    public var fingerprint: SecretFingerprint

}

/// A company as the store holds it, with its revision.
public struct StoredCompany: Sendable {
    public var company: Company<StoredSecret>
    public var revision: Int
    /// Changed by another writer since mailform last wrote it; nil when not
    /// (or when mailform has not written it since store version 5).
    public var drift: Drift?
    /// The `written_state` row, while its drift is not evaluated yet
    /// (`CompanyRows.read(evaluatesDrift: false)`).
    var written: WrittenRow?
}

/// A `written_state` row whose shape is checked, its drift not evaluated yet.
struct WrittenRow: Sendable {
    var since: Int
    var digest: String
    var fields: String
}

/// A row holds a value its column cannot mean.
struct StoreShapeError: MailformError {
    var column: String
    /// The company whose row it is, when known.
    var company: String? = nil
    var code: ErrorCode { .storeValue }
    var message: String { description }
    var description: String {
        "the store's \(column)\(company.map { " of company \(SafeText.escape($0))" } ?? "") holds a value mailform cannot read"
    }

    /// A text column's value: text or NULL; anything else (a blob, a
    /// number) stops the read. (A NUL inside text is found by `checkText`:
    /// SQLite's C string ends there.)
    static func text(_ row: Row, _ column: String, table: String, company: String?) throws(StoreShapeError) -> String? {
        switch (row[column] as DatabaseValue).storage {
        case .null: return nil
        case .string(let s) where !s.utf8.contains(0): return s
        default: throw StoreShapeError(column: "\(table).\(column)", company: company)
        }
    }

    /// Stops the read when a row of `selection` holds, in one of `columns`,
    /// a value that is neither text nor NULL, or text with a NUL in it (read
    /// as a C string, `'global'||char(0)||'us'` would be `global`).
    static func checkText(_ db: Database, table: String, columns: [String], idColumn: String,
                          where clause: (sql: String, arguments: StatementArguments)) throws {
        guard !columns.isEmpty else { return }
        let bad = columns.map { "(typeof(\($0)) NOT IN ('text', 'null') OR instr(CAST(\($0) AS BLOB), x'00') > 0)" }
        let cases = columns.map { "WHEN typeof(\($0)) NOT IN ('text', 'null') OR instr(CAST(\($0) AS BLOB), x'00') > 0 THEN '\($0)'" }
        let sql = "SELECT \(idColumn), CASE \(cases.joined(separator: " ")) END FROM \(table)" + (clause.sql.isEmpty ? " WHERE " : clause.sql + " AND (")
            + bad.joined(separator: " OR ") + (clause.sql.isEmpty ? "" : ")") + " LIMIT 1"
        if let row = try Row.fetchOne(db, sql: sql, arguments: clause.arguments) {
            throw StoreShapeError(column: "\(table).\(row[1] as String? ?? "?")", company: row[0] as String?)
        }
    }
}

/// Maps companies to rows and back. One place knows the table layout.
enum CompanyRows {


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
        // Drift and digests on every core, a chunk behind: the connection's
        // thread reads the next chunk's rows meanwhile (at 100,000 companies
        // the read took 4.5 s with the two one after the other).
        var behind: (companies: [StoredCompany], summaries: Background<[Result<StoredSummary, any Error>]>)?
        func collect() throws {
            guard let (companies, summaries) = behind else { return }
            behind = nil
            for (stored, summary) in zip(companies, summaries.value) { result[stored.company.id] = try summary.get() }
        }
        for start in stride(from: 0, to: ids.count, by: chunk) {
            let end = min(start + chunk, ids.count)
            let companies = Array(try read(.range(ids[start], ids[end - 1]), sealed: false, evaluatesDrift: false, db).values)
            try collect()
            behind = (companies, Background { Parallel.map(companies.count) { i -> Result<StoredSummary, any Error> in
                var stored = companies[i]
                do { try evaluateWritten(&stored) } catch { return .failure(error) }
                return .success(StoredSummary(name: stored.company.name, revision: stored.revision,
                                              digest: FieldsDigest(FieldFlattener.flatten(stored.company, fingerprint: \.fingerprint)),
                                              references: StoredSummary.referencesDigest(stored.company.secretPairs { $0.fingerprint.reference }),
                                              drift: stored.drift))
            } })
        }
        try collect()
        return result
    }

    /// - Parameter sealed: read the encrypted values too (a summary needs
    ///   only the fingerprints; without, each secret's `sealed` is empty).
    /// - Parameter evaluatesDrift: compare each company with what mailform
    ///   last wrote of it; without, the row is kept in `written` for
    ///   `evaluateWritten` (on other threads).
    static func read(_ selection: Selection, sealed: Bool = true, evaluatesDrift: Bool = true, _ db: Database) throws -> [String: StoredCompany] {
        let byCompany = selection.clause("company_id")
        var secrets: [String: [String: StoredSecret]] = [:]
        let columns = sealed ? "company_id, path, key_id, nonce, ciphertext, tag, fingerprint, reference"
            : "company_id, path, nonce, fingerprint, reference"
        let rows1 = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM secrets" + byCompany.sql, arguments: byCompany.arguments)
        while let row = try rows1.next() {
            // Without the sealed value, the nonce alone (what drift compares: a secret sealed again has another).
            let sealed = !sealed ? SealedSecret(keyID: "", nonce: [UInt8](row["nonce"] as Data), ciphertext: [], tag: [])
                : SealedSecret(keyID: row["key_id"], nonce: [UInt8](row["nonce"] as Data),
                               ciphertext: [UInt8](row["ciphertext"] as Data), tag: [UInt8](row["tag"] as Data))
            secrets[row["company_id"], default: [:]][row["path"]] = StoredSecret(sealed: sealed, fingerprint: SecretFingerprint(hex: row["fingerprint"], reference: row["reference"]))
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
            // Enumerations are checked here, not by SQL (migration v6): a value
            // this version does not know stops the read, never becomes a default.
            var purposes: [MailPurpose] = []
            for word in useFor.split(separator: " ") {
                guard let purpose = MailPurpose(rawValue: String(word)) else { throw StoreShapeError(column: "smtp_pools.use_for") }
                purposes.append(purpose)
            }
            guard let strategy = PoolStrategy(rawValue: row["strategy"]) else { throw StoreShapeError(column: "smtp_pools.strategy") }
            pools[company, default: []].append(SMTPPool(name: name, useFor: purposes, strategy: strategy, servers: servers[company]?[name] ?? []))
        }
        // Each provider's table, read by its fields: a value a field does not
        // take, or a secret row that is not there, stops the read.
        var apis: [String: [APISettings<StoredSecret>]] = [:]
        for api in ProviderSchemes.apis {
            try StoreShapeError.checkText(db, table: api.table, columns: api.columns, idColumn: "company_id", where: byCompany)
            let rows4 = try Row.fetchCursor(db, sql: "SELECT * FROM \(api.table)" + byCompany.sql, arguments: byCompany.arguments)
            while let row = try rows4.next() {
                let company: String = row["company_id"]
                var keys: [StoredSecret] = []
                for field in api.secretFields {
                    guard let path = try StoreShapeError.text(row, field.column, table: api.table, company: company), let key = secrets[company]?[path] else {
                        throw StoreShapeError(column: "\(api.table).\(field.column)", company: company)
                    }
                    keys.append(key)
                }
                var values: [String?] = []
                for field in api.plainFields {
                    let value = try StoreShapeError.text(row, field.column, table: api.table, company: company)
                    if let value, !field.accepts(value) { throw StoreShapeError(column: "\(api.table).\(field.column)", company: company) }
                    if value == nil && (field.required || field.defaultValue != nil) { throw StoreShapeError(column: "\(api.table).\(field.column)", company: company) }
                    values.append(value)
                }
                apis[company, default: []].append(APISettings(provider: api.provider, values: values, secrets: keys))
            }
        }
        var result: [String: StoredCompany] = [:]
        let byID = selection.clause("id")
        try StoreShapeError.checkText(db, table: "companies", columns: CompanyShape.companyColumns.map(\.column), idColumn: "id", where: byID)
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
                guard field.assign(try StoreShapeError.text(row, column, table: "companies", company: id), to: &scalars) else {
                    throw StoreShapeError(column: "companies.\(column)", company: id)
                }
            }
            var company = Company<StoredSecret>(
                id: id, name: nil, sender: Identity(email: "", name: nil), logo: logo, dsarSender: nil, provider: .platform,
                smtp: servers[id]?[""]?.first, apis: apis[id] ?? [], pools: pools[id] ?? [],
                probeDisabledReason: row["probe_disabled_reason"])
            company.scalars = scalars
            guard let waivers = Waiver.parse(stored: row["waivers"]) else { throw StoreShapeError(column: "companies.waivers") }
            company.waivers = waivers
            result[id] = StoredCompany(company: company, revision: row["revision"])
        }
        // What mailform last wrote of each: a company changed since by
        // another writer has drifted (its changed secrets then compare
        // unequal to every file's value, so the plan writes them again).
        let rows6 = try Row.fetchCursor(db, sql: "SELECT company_id, store_revision, digest, fields FROM written_state" + byCompany.sql,
                                        arguments: byCompany.arguments)
        while let row = try rows6.next() {
            let id: String = row[0]
            guard var stored = result[id] else { continue }
            // Another tool's row that is not mailform's form fails closed.
            guard case .int64(let since) = (row[1] as DatabaseValue).storage, since >= 0, since <= Int64(Int32.max) else {
                throw StoreShapeError(column: "written_state.store_revision")
            }
            guard let digest = row[2] as String?, WrittenState.isDigest(digest) else { throw StoreShapeError(column: "written_state.digest") }
            guard let fields = row[3] as String? else { throw StoreShapeError(column: "written_state.fields") }
            stored.written = WrittenRow(since: Int(since), digest: digest, fields: fields)
            if evaluatesDrift { try evaluateWritten(&stored) }
            result[id] = stored
        }
        return result
    }

    /// Sets the company's drift from its `written_state` row (and makes its
    /// drifted secrets unknown); pure, so it runs on any thread.
    /// - Throws: `StoreShapeError` when the row's field list is not mailform's form.
    static func evaluateWritten(_ stored: inout StoredCompany) throws(StoreShapeError) {
        guard let written = stored.written else { return }
        stored.written = nil
        guard WrittenState.isFieldList(written.fields) else { throw StoreShapeError(column: "written_state.fields") }
        guard let drift = WrittenState.drift(of: stored.company, since: written.since, digest: written.digest, fields: written.fields) else { return }
        stored.drift = drift
        stored.company = WrittenState.unknowingSecrets(stored.company, drifted: Set(drift.fields))
    }

    // MARK: Writing

    /// Adds the rows of a company to `batch` (and, when `replacing`, its
    /// deletion before them). Made apart from the connection, so an apply
    /// makes the next companies' rows on other threads while SQLite writes
    /// these. `revision` is the company's new revision.
    /// - Parameter store: seals a secret given its path (the associated
    ///   data of its encryption names it).
    static func rows<S>(_ company: Company<S>, revision: Int, at time: String, replacing: Bool = true, into batch: inout RowBatch,
                        store: (String, S) throws -> StoredSecret) rethrows {
        // Each secret is sealed once; the rows and the record of what was
        // written (`WrittenState`, for drift) are made of the sealed company.
        let sealed = try company.mapSecrets(store)
        rows(sealed, revision: revision, at: time, replacing: replacing, into: &batch)
        let written = WrittenState(sealed)
        batch.append(.writtenState, ["company_id": .text(company.id), "store_revision": .storeRevision, "digest": .text(written.digest),
                                     "fields": .text(written.fields)])
    }

    private static func rows(_ company: Company<StoredSecret>, revision: Int, at time: String, replacing: Bool, into batch: inout RowBatch) {
        let store: (String, StoredSecret) -> StoredSecret = { $1 }
        if replacing { batch.delete(company: company.id) }
        let id = RowBatch.Value.text(company.id)
        let scalars = company.scalars
        batch.beginRow(.companies)
        batch.add(id, "id")
        batch.add(.integer(revision), "revision")
        let logo: [RowBatch.Value]
        switch company.logo {
        case .url(let url)?: logo = [.text(url), .null, .null, .null, .null]
        case .image(let image)?: logo = [.null, .text(image.fileName), .text(image.mediaType), .blob(image.bytes), .text(image.sha256)]
        case nil: logo = [.null, .null, .null, .null, .null]
        }
        for (value, column) in zip(logo, ["logo_url", "logo_file_name", "logo_media_type", "logo_data", "logo_sha256"]) { batch.add(value, column) }
        batch.add(.text(company.probeDisabledReason), "probe_disabled_reason")
        batch.add(.text(time), "updated_at")
        batch.add(.storeRevision, "updated_by_revision")
        batch.add(.text(Waiver.stored(company.waivers)), "waivers")
        for (field, column) in CompanyShape.companyColumns { batch.add(.text(field.value(scalars)), column) }
        batch.endRow()
        if let smtp = company.smtp { try server(smtp, company: id, pool: nil, position: 0, into: &batch, store: store) }
        for pool in company.pools {
            batch.append(.smtpPools, ["company_id": id, "name": .text(pool.name),
                                      "use_for": .text(pool.useFor.map(\.rawValue).joined(separator: " ")), "strategy": .text(pool.strategy.rawValue)])
            for (i, s) in pool.servers.enumerated() { try server(s, company: id, pool: pool.name, position: i, into: &batch, store: store) }
        }
        // Each provider section: its secrets' rows, then its row (secret paths, then plain values).
        for settings in company.apis {
            let paths = settings.secrets.indices.map(settings.secretPath)
            for (path, value) in zip(paths, settings.secrets) { secret(try store(path, value), company: id, path: path, into: &batch) }
            let scheme = settings.scheme
            batch.beginRow(.provider(settings.provider))
            batch.add(id, "company_id")
            for (path, field) in zip(paths, scheme.secretFields) { batch.add(.text(path), field.column) }
            for (value, field) in zip(settings.values, scheme.plainFields) { batch.add(.text(value), field.column) }
            batch.endRow()
        }
    }

    private static func server<S>(_ server: SMTPServer<S>, company: RowBatch.Value, pool: String?, position: Int,
                                  into batch: inout RowBatch, store: (String, S) throws -> StoredSecret) rethrows {
        // The secrets' rows first: a row of `smtp_servers` is added whole.
        let base = Company<StoredSecret>.serverPath(pool: pool, position: position)
        var secretPaths: [String: String] = [:]
        for field in SMTPServerShape.fields where field.isSecret {
            guard let value = server.secrets[field.key] else { continue }
            let path = base + "." + field.key
            secret(try store(path, value), company: company, path: path, into: &batch)
            secretPaths[field.key] = path
        }
        batch.beginRow(.smtpServers)
        batch.add(company, "company_id")
        batch.add(.text(pool ?? ""), "pool_name")
        batch.add(.integer(position), "position")
        for field in SMTPServerShape.fields {
            if field.isSecret {
                batch.add(.text(secretPaths[field.key]), field.column)
                continue
            }
            switch field.value(server.settings) {
            case .text(let t)?: batch.add(.text(t), field.column)
            case .integer(let i)?: batch.add(.integer(i), field.column)
            case .boolean(let b)?: batch.add(.integer(b ? 1 : 0), field.column)
            // Whitespace-separated, as Jakarta Mail reads ssl.trust and ssl.protocols.
            case .list(let items)?: batch.add(.text(items.joined(separator: " ")), field.column)
            case nil: batch.add(field.kind == .list ? .text("") : .null, field.column)
            }
        }
        batch.endRow()
    }

    /// A server from its row; a value the shape does not accept is an error
    /// (a store written by another tool), never a silent default.
    static func serverFromRow(_ row: Row, secrets: [String: StoredSecret]) throws -> SMTPServer<StoredSecret> {
        var settings = SMTPSettings()
        var found: [String: StoredSecret] = [:]
        for field in SMTPServerShape.fields {
            let value: FieldScalar?
            if case .secret = field.kind {
                if let path: String = row[field.column] {
                    guard let secret = secrets[path] else { throw StoreShapeError(column: "smtp_servers.\(field.column)") }
                    found[field.key] = secret
                }
                continue
            }
            // Read by the value's own type: SQLite keeps what another writer
            // put there ('abc' in ssl, 587.5 in port), and a converted value
            // would be planned from as if it were the store's.
            let stored = (row[field.column] as DatabaseValue).storage
            switch (field.kind, stored) {
            case (_, .null): value = nil
            case (.text, .string(let text)): value = .text(text)
            case (.list, .string(let text)): value = .list(text.split(separator: " ").map(String.init))
            case (.integer, .int64(let number)) where Int(exactly: number) != nil: value = .integer(Int(number))
            case (.boolean, .int64(let flag)) where flag == 0 || flag == 1: value = .boolean(flag == 1)
            default: throw StoreShapeError(column: "smtp_servers.\(field.column)")
            }
            guard field.set(&settings, value) else { throw StoreShapeError(column: "smtp_servers.\(field.column)") }
        }
        return SMTPServer(settings: settings, secrets: found)
    }

    private static func secret(_ secret: StoredSecret, company: RowBatch.Value, path: String, into batch: inout RowBatch) {
        batch.append(.secrets, ["company_id": company, "path": .text(path), "key_id": .text(secret.sealed.keyID),
                                "nonce": .blob(secret.sealed.nonce), "ciphertext": .blob(secret.sealed.ciphertext), "tag": .blob(secret.sealed.tag),
                                "fingerprint": .text(secret.fingerprint.hex), "reference": .text(secret.fingerprint.reference)])
    }
}

extension Company {
    /// (path, reference) of every secret, in the order of `mapSecrets`.
    public func secretPairs(_ reference: (SecretValue) -> String?) -> [(path: String, reference: String?)] {
        var out: [(path: String, reference: String?)] = []
        _ = mapSecrets { path, secret -> Int in
            out.append((path, reference(secret)))
            return 0
        }
        return out
    }
}

extension Company where SecretValue == StoredSecret {
    /// The view the diff compares.
    public var fingerprinted: Company<SecretFingerprint> { map(\.fingerprint) }
}

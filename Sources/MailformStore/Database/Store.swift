import Foundation
import GRDB
import MailformCore

/// The platform's SQLite store of company mail settings.
///
/// WAL journal (a new store's first write: a rollback journal, see `open`),
/// foreign keys on, and a bounded busy timeout: a second apply
/// waits for the first, then fails with "store is locked by another apply".
/// Every write happens in one `BEGIN IMMEDIATE` transaction.
public final class Store: @unchecked Sendable {
    public let path: String
    let pool: any DatabaseWriter
    /// For a PostgreSQL store: the server the copy is carried back to after
    /// each write (``PostgresBacking``); nil for an SQLite store.
    private(set) var backing: PostgresBacking?

    public struct Failure: MailformError {
        public var description: String
        public var code: ErrorCode
        public var hint: String?
        public init(_ description: String, code: ErrorCode = .storeUnreadable, hint: String? = nil) {
            self.description = description
            self.code = code
            self.hint = hint
        }
        public var message: String { description }
    }

    /// The store was made by an older version and `open(migrate: false)`
    /// may not change it.
    public struct NeedsMigration: MailformError {
        public var code: ErrorCode { .storeOlder }
        public var message: String { "the store was made by an older version of mailform; run apply to migrate it" }
        public var description: String { message }
    }

    /// Opens (and migrates) the store. With `create: false`, a missing file
    /// yields `nil`, so a plan against a new store writes nothing.
    /// - Parameter migrate: false: a store that needs migrating is not
    ///   changed (`NeedsMigration`); a run reads it before its files are known
    ///   valid, and may write nothing until then.
    /// - Parameter readOnly: open every connection read-only (`plan`,
    ///   `probe`, `snapshot`, `export`, `history`): the store file is never
    ///   changed, not even by a checkpoint, and a store made by an older
    ///   version is refused ("run apply to migrate it"), never migrated.
    /// - Throws: ``Failure`` (locked, not a store, made by a newer or an
    ///   older version), ``NeedsMigration`` when `migrate` is false.
    ///   - newStoreID: the identity a store created now takes (a saved plan
    ///     made before the store existed names the store it may create).
    public static func open(path: String, create: Bool, lockTimeout: TimeInterval = 10, migrate: Bool = true,
                            readOnly: Bool = false, newStoreID: String? = nil) throws -> Store? {
        if StoreLocation.isURL(path) {
            guard let backing = try PostgresBacking.open(url: path, create: create, lockTimeout: lockTimeout, newStoreID: newStoreID,
                                                         migrate: migrate && !readOnly, readOnly: readOnly) else {
                return nil
            }
            guard let store = try open(path: backing.copyPath, create: false, lockTimeout: lockTimeout, readOnly: readOnly) else {
                throw Failure("the copy of the store \(backing.display) is missing", code: .temporarySpace)
            }
            let shown = Store(path: path, pool: store.pool)
            if !readOnly { shown.backing = backing } else { shown.keptCopy = backing }
            return shown
        }
        if let link = SafeWrite.linkBelowCurrentFolder(path) {
            throw Failure("the store \(SafeText.escape(Paths.display(path))) is reached through the symbolic link \(SafeText.escape(Paths.display(link))) inside the current folder; mailform opens no store or key through a link a checkout holds")
        }
        // A path the kernel gives up on (over 40 links) is no missing store:
        // SQLite follows up to 100 links itself, to the store that is there.
        var reached = stat()
        if stat(path, &reached) != 0, errno == ELOOP {
            throw Failure("the store path \(SafeText.escape(Paths.display(path))) passes through too many symbolic links; name the store file itself; nothing was written", code: .storeWrite)
        }
        if !create && !FileManager.default.fileExists(atPath: path) { return nil }
        // (A store not there yet: `checkCreatable` refuses any side file.)
        if FileManager.default.fileExists(atPath: path) { try checkSideFiles(path) }
        if readOnly { return try openReadOnly(path: path, lockTimeout: lockTimeout) }
        let directory = Paths.directory(of: path)
        if !Paths.isDirectory(directory) {
            throw Failure("the store's folder \(Paths.display(directory)) does not exist")
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Self.bounded(lockTimeout))
        config.label = "mailform-store"
        // A statement of many rows keeps what it changed in a statement
        // journal, spilled past 64 KiB to a file in /var/tmp: an apply of
        // 10,000 companies wrote 36 MB there. In memory, it is a statement's
        // pages at most (a hundred rows).
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA temp_store = MEMORY") }
        do {
            // 0600 from creation: the store and its -wal, -shm and -journal files
            // are created under this umask (chmod afterwards left a window).
            let previous = umask(0o077)
            defer { umask(previous) }
            var existed = FileManager.default.fileExists(atPath: path)
            // A store made now has no side files yet: one there already (a
            // checkout's, or left from a store removed without them) would
            // be taken as this store's, or make it one no later run opens.
            if !existed {
                do { try checkCreatable(path) } catch let failure as Failure { throw Failure(failure.description + "; nothing was written", code: failure.code) }
                // Made whole beside it, then linked into place: no run ever
                // sees a store half made (two applies that each made it raced
                // to "no such table: grdb_migrations"; a kill left an empty file).
                existed = try !makeWhole(path: path, configuration: config, newStoreID: newStoreID)
                if existed { try checkSideFiles(path) }
            }
            // A store made now takes its first write in a rollback journal:
            // every page of a new store is new, so it is written once, to the
            // file. In the write-ahead log each page was written twice (to
            // the log, then by the checkpoint to the file): an apply of
            // 100,000 new companies wrote 470 MB for a 236 MB store. The
            // store turns to the log after that write (`write`); a store
            // another run opens first is turned by that run (`openWriter`).
            let pool: any DatabaseWriter = existed ? try openWriter(path: path, configuration: config, lockTimeout: lockTimeout)
                : try DatabaseQueue(path: path, configuration: config)
            let store = Store(path: path, pool: pool)
            store.turnsToLog = !existed
            if !migrate {
                guard try !store.needsMigration() else { throw NeedsMigration() }
                return store
            }
            try store.migrate()
            return store
        } catch let error as DatabaseError {
            throw Store.describe(error, path: path)
        }
    }

    /// A store can be made at `path` (a file): none of its side files is
    /// there already.
    /// - Throws: ``Failure`` naming the side file.
    static func checkCreatable(_ path: String) throws {
        guard !StoreLocation.isURL(path), !FileManager.default.fileExists(atPath: path) else { return }
        let folder = Paths.directory(of: path)
        if !Paths.isDirectory(folder) {
            throw Failure("the store's folder \(SafeText.escape(Paths.display(folder))) does not exist", code: .storeWrite)
        }
        if Paths.existsNoFollow(path) {
            throw Failure("the store path \(Paths.display(path)) is a symbolic link that leads nowhere; mailform makes no store through a link", code: .storeWrite)
        }
        let real = Paths.resolvingLinks(path)
        if let side = ["-wal", "-shm", "-journal"].flatMap({ Set([path + $0, real + $0]) }).first(where: Paths.existsNoFollow) {
            throw Failure("\(Paths.display(side)) is there, but the store \(Paths.display(path)) it belongs to is not; remove it (or choose another store path)",
                          code: .storeWrite)
        }
    }

    /// Every side file of the store (-wal, -shm, -journal) that is there is
    /// a regular file of one link: SQLite opens them by name beside the
    /// store's real path (links resolved) and would wait forever on a FIFO,
    /// write through a symbolic or hard link into another file, or fail on a
    /// folder, wherever in its work it first needs them.
    /// - Throws: ``Failure`` naming the side file and what it is.
    static func checkSideFiles(_ path: String) throws {
        let real = Paths.resolvingLinks(path)
        for side in ["-wal", "-shm", "-journal"].flatMap({ Set([path + $0, real + $0]) }) {
            var info = stat()
            guard lstat(side, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFREG && info.st_nlink == 1 { continue }
            let what = kind == S_IFLNK ? "a symbolic link" : kind == S_IFIFO ? "a FIFO" : kind == S_IFDIR ? "a folder"
                : kind == S_IFREG ? "a file with \(info.st_nlink) hard links" : "not a regular file"
            throw Failure("\(SafeText.escape(Paths.display(side))), where SQLite keeps the store's \(side.hasSuffix("-journal") ? "rollback journal" : side.hasSuffix("-wal") ? "write-ahead log" : "shared memory index"), is \(what); mailform opens no store beside one: remove it; nothing was written",
                          code: .storeWrite)
        }
        // A side file a checkout holds (one Git tracks) is a pull request's,
        // never SQLite's: its log or journal would be played into the store,
        // replacing every company (SQLite checks a log only against itself).
        let present = ["-wal", "-shm", "-journal"].flatMap({ Set([path + $0, real + $0]) }).filter { Self.size($0) >= 0 }
        if let tracked = present.first(where: Self.trackedByGit) {
            throw Failure("\(SafeText.escape(Paths.display(tracked))) beside the store is a file Git tracks (or the checkout's Git could not tell): SQLite would play it into the store, and no store's side file is ever committed; remove it from the repository and the folder; nothing was written",
                          code: .storeWrite)
        }
        // A store in its write-ahead log keeps no rollback journal: a journal
        // beside one that holds anything was put there, and SQLite would
        // play it back into the store (a checkout's journal replaced every
        // company). (Its one legitimate case, a kill in the transaction that
        // turned the store to the log, changed only the header: removing
        // the journal keeps that turn.)
        // The turn to the log is itself a journalled transaction: for a
        // moment the header says WAL while its journal is still there. A
        // journal is refused only when it stays.
        for journal in Set([path + "-journal", real + "-journal"]) {
            var tries = 0
            while headerSaysWAL(real), Self.size(journal) > 0 {
                tries += 1
                if tries > 40 {
                    throw Failure("\(SafeText.escape(Paths.display(journal))) is a rollback journal beside a store in its write-ahead log, which keeps none: SQLite would play it back into the store; remove it (look at where it came from); nothing was written",
                                  code: .storeWrite)
                }
                usleep(50_000)
            }
        }
    }

    /// The size of the file at `path` itself (a link is not followed), or -1.
    static func size(_ path: String) -> Int64 {
        var info = stat()
        return lstat(path, &info) == 0 ? Int64(info.st_size) : -1
    }

    /// Whether Git tracks the file at `path`: asked of the checkout the file
    /// lies in, found by walking up to the first folder with a `.git`, and
    /// named explicitly (`--git-dir`, `--work-tree`), so that no folder a
    /// pull request commits (an embedded bare repository) is taken for the
    /// repository; the name is a literal path, never a pathspec; `GIT_*`
    /// variables are not passed on. False outside any checkout; true
    /// (refused) when the checkout's Git cannot answer.
    static func trackedByGit(_ path: String) -> Bool {
        let real = Paths.resolvingLinks(path)
        var root = Paths.directory(of: real)
        while !Paths.existsNoFollow(root + "/.git") {
            let up = Paths.directory(of: root)
            if up == root { return false }
            root = up
        }
        let relative = String(real.dropFirst(root == "/" ? 1 : root.count + 1))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Nothing of the repository's own configuration runs: no file-system
        // monitor, no hooks (ls-files runs none, but the setting is cheap).
        process.arguments = ["git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
                             "--literal-pathspecs", "--git-dir=" + root + "/.git", "--work-tree=" + root,
                             "ls-files", "--error-unmatch", "--", relative]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return true }
        process.waitUntilExit()
        // 1: not tracked. 0, or Git failing (128): refused.
        return process.terminationStatus != 1
    }

    /// Makes a store at `path`, migrated and with its identity, in a file of
    /// its own beside it (created exclusively, never through a link), then
    /// links it into place: `link` makes no file where anything is, a link
    /// that leads nowhere included.
    /// - Returns: false when another run made the store meanwhile (its store
    ///   is kept, and opened as any existing store).
    /// - Throws: ``Failure`` when the folder cannot take the file, or the
    ///   store path is a link that leads nowhere; `DatabaseError`.
    private static func makeWhole(path: String, configuration: Configuration, newStoreID: String?) throws -> Bool {
        let folder = Paths.directory(of: path)
        let base = (path as NSString).lastPathComponent
        var made: String?
        for _ in 0..<8 {
            let candidate = folder + "/." + base + ".new-" + UUID().uuidString.prefix(8).lowercased()
            let fd = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd); made = candidate; break }
            if errno != EEXIST { break }
        }
        guard let temporary = made else {
            throw Failure("cannot make the store \(Paths.display(path)): \(String(cString: strerror(errno))); nothing was written", code: .storeWrite)
        }
        defer { for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) } }
        do {
            let queue = try DatabaseQueue(path: temporary, configuration: configuration)
            let store = Store(path: temporary, pool: queue)
            try store.migrate()
            if let newStoreID { try store.takeIdentity(newStoreID) }
            try queue.close()
        }
        if link(temporary, path) == 0 { return true }
        let failure = errno
        if failure == EEXIST {
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure("the store path \(Paths.display(path)) is a symbolic link that leads nowhere; mailform makes no store through a link; nothing was written", code: .storeWrite)
            }
            return false
        }
        throw Failure("cannot make the store \(Paths.display(path)): \(String(cString: strerror(failure))); nothing was written", code: .storeWrite)
    }

    /// Gives a store made by this run the id its saved plan named, only
    /// while the store holds nothing: another run that found no store
    /// either may have made it meanwhile and written to it under its own id
    /// (its saved plan's); that id stays, and this run's plan is stale.
    /// - Throws: `DatabaseError` when the store cannot be written.
    func takeIdentity(_ id: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE store_meta SET value = ? WHERE key = 'store_id' AND NOT EXISTS (SELECT 1 FROM revisions)", arguments: [id])
        }
    }

    /// One connection to an existing store, for a run that may write. The
    /// open itself writes nothing to a store in the log: GRDB's pool made
    /// and dropped a table at every open (to have a -wal at once), so a
    /// refused or unchanged apply changed the store file's header. Only a
    /// store still in its rollback journal (one another run is making, or
    /// one a kill left before its turn) is turned to the log here, which
    /// takes the write lock without waiting for it (SQLite does not wait
    /// where it holds a read lock already): tried again until the lock
    /// timeout.
    private static func openWriter(path: String, configuration: Configuration, lockTimeout: TimeInterval) throws -> DatabaseQueue {
        var configuration = configuration
        // As GRDB's pool had it: in the log, a commit is durable once the
        // log is synced at the checkpoint.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let deadline = Date().addingTimeInterval(bounded(lockTimeout))
        while true {
            do {
                try queue.writeWithoutTransaction { db in
                    guard try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" else { return }
                    guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                        throw Failure("cannot turn the store \(Paths.display(path)) to its write-ahead log", code: .storeWrite)
                    }
                }
                return queue
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(50_000)
            }
        }
    }

    /// A store opened read-only: its file, -wal and -shm are never written
    /// by this run (SQLite may create an -shm it needs to read a WAL store).
    private static func openReadOnly(path: String, lockTimeout: TimeInterval) throws -> Store {
        // Only a regular file: a read-only open of a FIFO waits for a writer forever.
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            throw Failure("\(Paths.display(path)) is not a mailform store (not a regular file)")
        }
        var config = Configuration()
        // A store with a write-ahead log is opened read-only: nothing can
        // change it, and its -wal and -shm exist already. A store closed
        // cleanly (no -wal) is opened by one connection that SQLite lets
        // remove the -wal and -shm it makes when the run ends (a read-only
        // connection could not: a plan would leave two files behind); every
        // statement is query-only, and with nothing in the log, closing
        // writes nothing either.
        // A store not (yet) in the log, or beside a rollback journal (a store
        // an apply is making, or one it left when it was stopped), is opened
        // read-only too: a connection that may write would roll a journal
        // back, one there now or one a write that starts after this check
        // leaves. A live write is waited for (up to the lock timeout); a
        // journal left behind is refused ("run apply"). Its header is read
        // first: a store whose header says WAL makes no rollback journal but
        // in the one transaction that turned it, seen by the check after.
        let inLog = FileManager.default.fileExists(atPath: path + "-wal")
        let saysWAL = Self.headerSaysWAL(path)
        if inLog || !saysWAL || Paths.existsNoFollow(path + "-journal") {
            config.readonly = true
        } else {
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA query_only = 1") }
        }
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Self.bounded(lockTimeout))
        config.label = "mailform-store-read"
        do {
            let previous = umask(0o077)
            defer { umask(previous) }
            let pool: any DatabaseWriter = config.readonly && inLog ? try DatabasePool(path: path, configuration: config)
                : try DatabaseQueue(path: path, configuration: config)
            let store = Store(path: path, pool: pool)
            let state = try store.schemaState()
            switch state {
            case .current: return store
            case .older: throw Failure("the store \(Paths.display(path)) was made by an older version of mailform; run apply to migrate it (plan, probe, snapshot and export never change the store)", code: .storeOlder)
            case .newer: throw Failure("the store \(Paths.display(path)) was made by a newer version of mailform; use that version", code: .storeNewer)
            case .notAStore: throw Failure("\(Paths.display(path)) is not a mailform store (it has no mailform tables)")
            }
        } catch let error as DatabaseError {
            throw Store.describe(error, path: path)
        }
    }

    /// Whether the database header says WAL (its file format version bytes,
    /// 18 and 19, are 2); false when it cannot be read.
    /// Opened without blocking, and read only when it is a regular file (a
    /// FIFO at the store's path would hold the run forever).
    static func headerSaysWAL(_ path: String) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        var header = [UInt8](repeating: 0, count: 20)
        guard pread(fd, &header, 20, 0) == 20 else { return false }
        return header[18] == 2 && header[19] == 2
    }

    /// A lock wait SQLite can take (it counts in Int32 milliseconds): NaN and
    /// infinities are 10 s, anything else is kept within 0 to 3,600 s.
    static func bounded(_ seconds: TimeInterval) -> TimeInterval {
        seconds.isFinite ? min(max(seconds, 0), 3600) : 10
    }

    enum SchemaState { case current, older, newer, notAStore }

    /// Which migrations the store has, without changing it.
    func schemaState() throws -> SchemaState {
        try pool.read { db in
            guard try db.tableExists("grdb_migrations") else {
                return try db.tableExists("companies") ? .older : .notAStore
            }
            let applied = Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
            let known = Set(Migrations.migrator.migrations)
            if !applied.subtracting(known).isEmpty { return .newer }
            return applied == known ? .current : .older
        }
    }

    /// Every recorded reference with the company that holds it (the first
    /// by id when several do, as a store written with a wide fence may).
    /// - Throws: `DatabaseError` when the store cannot be read.
    public func referenceOwners() throws -> [String: String] {
        try pool.read { db in
            var out: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT reference, company_id FROM secrets WHERE reference IS NOT NULL ORDER BY company_id")
            while let row = try rows.next() {
                let reference: String = row[0]
                if out[reference] == nil { out[reference] = row[1] }
            }
            return out
        }
    }

    /// The recorded reference of every secret of these companies (nil: none recorded), by company and path.
    /// - Throws: `DatabaseError` when the store cannot be read.
    public func recordedReferences(of companies: Set<String>) throws -> [String: [String: String?]] {
        try read { db in
            var out: [String: [String: String?]] = [:]
            let ids = Array(companies)
            for start in stride(from: 0, to: ids.count, by: 2_000) {
                let chunk = Array(ids[start..<min(start + 2_000, ids.count)])
                let rows = try Row.fetchCursor(db, sql: "SELECT company_id, path, reference FROM secrets WHERE company_id IN ("
                                                + Array(repeating: "?", count: chunk.count).joined(separator: ", ") + ")",
                                               arguments: StatementArguments(chunk))
                while let row = try rows.next() {
                    let reference: String? = row[2]
                    out[row[0] as String, default: [:]][row[1] as String] = .some(reference)
                }
            }
            return out
        }
    }

    /// Whether every secret row records its reference (store version 4 and
    /// an apply since): then plans compare references.
    /// - Throws: `DatabaseError` when the store cannot be read.
    public func recordsEveryReference() throws -> Bool {
        try pool.read { db in try !(Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM secrets WHERE reference IS NULL)") ?? false) }
    }

    private init(path: String, pool: any DatabaseWriter) {
        self.path = path
        self.pool = pool
    }

    /// A store created by this run, still in the rollback journal it was
    /// made in; it turns to the write-ahead log after its first write.
    private var turnsToLog = false

    /// Whether writes are carried back to a PostgreSQL store.
    var isBacked: Bool { backing != nil }

    /// A read-only PostgreSQL store keeps its copy (and its folder) alive.
    private var keptCopy: PostgresBacking?

    private func needsMigration() throws -> Bool {
        try pool.read { db in try !Migrations.migrator.hasCompletedMigrations(db) }
    }

    private func migrate() throws {
        let migrator = Migrations.migrator
        // Avoid taking the write lock when the schema is already current.
        let pending = try pool.read { db in try !migrator.hasCompletedMigrations(db) }
        guard pending else { return }
        // Another run may migrate at the same time: GRDB's migrator reads
        // what is applied before it takes the write lock, so ours can fail
        // on a step the other just applied ("duplicate column"). Each try
        // waited for the other's step; try again from what is applied now.
        var tries = 0
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                // A store locked by another run was waited for already (the
                // lock timeout): a second wait would only double it.
                if let error = error as? DatabaseError, error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED { throw error }
                if try pool.read({ db in try migrator.hasCompletedMigrations(db) }) { return }
                tries += 1
                if tries >= 5 { throw error }
            }
        }
    }

    /// The database's error as the store's, with its code.
    static func describe(_ error: DatabaseError, path: String) -> Failure {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: Failure("store is locked by another apply (\(Paths.display(path)))", code: .storeLocked)
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: Failure("\(Paths.display(path)) is not a mailform store (not an SQLite database, or damaged)")
        case .SQLITE_READONLY where error.extendedResultCode == .SQLITE_READONLY_ROLLBACK:
            Failure("the store \(Paths.display(path)) has a rollback journal beside it (\(Paths.display(path))-journal: an apply stopped while it created the store leaves one); run apply, which rolls it back (plan, probe, snapshot, export and history never change the store)")
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
            Failure("cannot open the store \(Paths.display(path)) for writing: \(error.message ?? "permission denied")")
        default: Failure("store error at \(Paths.display(path)): \(error.message ?? "\(error.resultCode)")", code: .storeWrite)
        }
    }

    /// The store's identity, created with it; saved plans record it.
    /// - Throws: `DatabaseError` when the store cannot be read.
    public func identity() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'store_id'") ?? "" }
    }

    /// The key id the store's secrets are encrypted with, if it has any.
    /// - Throws: `DatabaseError` when the store cannot be read.
    public func storedKeyIDs() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT key_id FROM secrets")) }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw Store.describe(error, path: path) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        let result: T
        do { result = try pool.write(body) } catch let error as DatabaseError { throw Store.describe(error, path: path) }
        // A PostgreSQL store: the write is carried back in one transaction
        // (or the run stops with nothing written there).
        if let backing { try backing.push(pool) }
        if turnsToLog {
            // A new store's first write is in its file (a rollback journal
            // commits there): from now on, the write-ahead log. When another
            // run holds the store open, its pool turned it already, or will.
            turnsToLog = false
            try? pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            return result
        }
        // The committed write moved into the store file itself: a copy of
        // mailform.db alone (a backup, the platform's own copy) holds it,
        // whatever -wal file a connection still open leaves beside it.
        // Passive: it never waits (a reader holding an older snapshot only
        // postpones the move), and the write is committed either way.
        try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
        return result
    }
}


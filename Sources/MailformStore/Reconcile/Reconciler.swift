import Foundation
import MailformCore

/// The store, its key and its contents, opened for planning or applying.
public struct OpenedStore: Sendable {
    public var store: Store?
    public var path: String
    public var box: SecretBox
    /// Every company of the store, summarised (whole companies are read by
    /// id when a plan needs them: `companies(_:)`).
    public var summaries: [String: StoredSummary]
    public var storeID: String?
    /// Said to the user when the key file was created now.
    public var keyNotice: String?
    /// How the key was found (`ephemeral`: no key file yet, and the store holds no secrets).
    public var keySource: StoreKey.Source

    /// Whole companies, read by id. A company whose revision is not the one
    /// its summary has (an apply committed since the summaries were read)
    /// stops the run: a plan never shows one version's fields with
    /// another's revision.
    public func companies(_ ids: some Collection<String>) throws -> [String: StoredCompany] {
        guard let store, !ids.isEmpty else { return [:] }
        let read = try store.read { db in try CompanyRows.read(ids: ids, db) }
        for id in ids where read[id]?.revision != summaries[id]?.revision {
            throw Reconciler.Failure("stale plan: company \(SafeText.escape(id)) changed in the store while this run read it; run it again")
        }
        return read
    }

    /// Every company of the store, whole (export).
    public func allCompanies() throws -> [String: StoredCompany] {
        guard let store else { return [:] }
        return try store.read { db in try CompanyRows.readAll(db) }
    }

    /// The flattened fields of these companies, as the diff compares them.
    func flattened(_ ids: [String]) throws -> [String: Differ.Fields] {
        let stored = Array(try companies(ids).values)
        let fields = Parallel.map(stored.count) { i in FieldFlattener.flatten(stored[i].company, fingerprint: \.fingerprint) }
        return Dictionary(uniqueKeysWithValues: zip(stored.map(\.company.id), fields))
    }

    /// Closes the connections (SQLite removes its -wal and -shm files only then).
    public mutating func close() {
        store = nil
    }
}

/// diff → plan: compares the resolved desired settings with the store.
public enum Reconciler {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Opens the store (without creating it) and its key.
    ///
    /// - Parameter createKey: whether a missing key file is created (apply,
    ///   and `plan --out`, which signs with it). Otherwise, when the store
    ///   holds no secrets, a key for this run only is used: read-only
    ///   commands create no files.
    ///   - migrate: false: a store that needs migrating throws `Store.NeedsMigration`, unchanged.
    public static func openStore(path: String, createStore: Bool, createKey: Bool? = nil, lockTimeout: TimeInterval = 10,
                                 environment: [String: String] = ProcessInfo.processInfo.environment,
                                 migrate: Bool = true) throws -> OpenedStore {
        let store: Store?
        do {
            store = try Store.open(path: path, create: createStore, lockTimeout: lockTimeout, migrate: migrate)
        } catch let failure as Store.Failure {
            throw Failure(failure.description)
        }
        let storedKeys = try store?.storedKeyIDs() ?? []
        let loaded: (StoreKey, StoreKey.Source)?
        do {
            loaded = try StoreKey.load(storePath: path, environment: environment, create: storedKeys.isEmpty && (createKey ?? createStore))
                ?? (storedKeys.isEmpty ? (StoreKey.ephemeral(), .ephemeral) : nil)
        } catch let failure as StoreKey.Failure {
            throw Failure(failure.description)
        }
        guard let (key, source) = loaded else {
            throw Failure("no store key: the store's secrets are encrypted, but MAILFORM_STORE_KEY is not set and \(Paths.display(StoreKey.keyFilePath(forStore: path))) does not exist; set the key the store was made with")
        }
        if let other = storedKeys.first(where: { $0 != key.id }) {
            throw Failure("wrong store key: the store's secrets were encrypted with key \(other), the key given is \(key.id); set MAILFORM_STORE_KEY or the key file to the store's key")
        }
        let notice = keyNotice(source)
        let summaries = try store?.read { db in try CompanyRows.readSummaries(db) } ?? [:]
        let box: SecretBox
        do { box = try SecretBox(key: key) } catch let failure as SecretBox.Failure { throw Failure(failure.description) }
        return OpenedStore(store: store, path: path, box: box, summaries: summaries,
                           storeID: try store?.identity(), keyNotice: notice, keySource: source)
    }

    static func keyNotice(_ source: StoreKey.Source) -> String? {
        guard case .created(let file) = source else { return nil }
        return "created the store key \(Paths.display(file)) (mode 0600); keep it safe: without it the store's secrets cannot be read"
    }

    /// For a run that writes (apply, `plan --out`): the key file, created
    /// now if the store was opened with a key for this run only. A run opens
    /// the store while its files load, and creates no file before they are
    /// known to be valid. The summaries stay (a store with no key holds no
    /// secrets, so no fingerprint of it depends on the key).
    public static func lastingKey(_ opened: OpenedStore, environment: [String: String]) throws -> OpenedStore {
        guard opened.keySource == .ephemeral else { return opened }
        var lasting = opened
        do {
            guard let (key, source) = try StoreKey.load(storePath: opened.path, environment: environment, create: true) else {
                throw Failure("no store key could be created beside \(SafeText.escape(Paths.display(opened.path)))")
            }
            lasting.box = try SecretBox(key: key)
            lasting.keySource = source
            lasting.keyNotice = keyNotice(source)
        } catch let failure as StoreKey.Failure {
            throw Failure(failure.description)
        } catch let failure as SecretBox.Failure {
            throw Failure(failure.description)
        }
        return lasting
    }

    /// The plan of `desired` against the opened store.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, scope: [String], prune: Bool) throws -> Plan {
        let filter: ((String) -> Bool)? = scope.isEmpty ? nil : { id in scope.contains { Glob.matches(pattern: $0, id) } }
        return try plan(desired: desired, opened: opened, filter: filter, prune: prune)
    }

    /// The plan of `desired` against the opened store, limited to the ids `filter` accepts.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, filter: ((String) -> Bool)?, prune: Bool) throws -> Plan {
        var builder = Differ.Builder(current: opened.summaries, scope: filter)
        _ = try add(desired, to: &builder, opened: opened)
        return try builder.finish(prune: prune, fetch: opened.flattened)
    }

    /// Adds a batch of desired companies to a plan (`Differ.Builder.add`),
    /// their secrets fingerprinted with the store key; returns the indexes
    /// of those that change.
    public static func add(_ batch: [Company<ResolvedSecret>], to builder: inout Differ.Builder, opened: OpenedStore) throws -> [Int] {
        // Fingerprinted as the parallel diff flattens each company; the
        // first failure of HMAC (fail closed) stops the plan afterwards.
        let (fingerprint, failure) = fingerprinter(opened.box)
        let changed = try builder.add(batch, fingerprint: fingerprint, fetch: opened.flattened)
        if let error = failure.error { throw error }
        return changed
    }

    /// A fingerprint function for the diff (keyed with `box`, the reference
    /// kept for display) and where its first failure is recorded.
    static func fingerprinter(_ box: SecretBox) -> (@Sendable (ResolvedSecret) -> SecretFingerprint, FirstFailure) {
        let failure = FirstFailure()
        return ({ resolved in
            do {
                var fingerprint = try box.fingerprint(resolved.secret)
                fingerprint.reference = resolved.reference.description
                return fingerprint
            } catch {
                failure.record(error)
                return SecretFingerprint(hex: "unavailable")
            }
        }, failure)
    }

    /// The digest of a company's fields as the plan compares them
    /// (`FieldsDigest`), its secrets fingerprinted with `box`.
    public static func digest(_ company: Company<ResolvedSecret>, box: SecretBox) throws -> FieldsDigest {
        let (fingerprint, failure) = fingerprinter(box)
        let digest = FieldsDigest(FieldFlattener.flatten(company, fingerprint: fingerprint))
        if let error = failure.error { throw error }
        return digest
    }

    /// The plan of the batches added to `builder`.
    public static func finish(_ builder: Differ.Builder, opened: OpenedStore, prune: Bool) throws -> Plan {
        try builder.finish(prune: prune, fetch: opened.flattened)
    }

    /// The saved-plan form of a desired company: references relative to the workspace, fingerprints.
    public static func planned(_ company: Company<ResolvedSecret>, box: SecretBox, workspaceRoot: String) throws -> Company<PlannedSecret> {
        try company.map { secret in
            PlannedSecret(reference: secret.reference.description, origin: relative(secret.origin, to: workspaceRoot),
                          fingerprint: try box.fingerprint(secret.secret).hex)
        }
    }

    static func relative(_ path: String, to root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

/// The first error of a parallel step, raised after it.
final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?
    func record(_ error: Error) { lock.withLock { if first == nil { first = error } } }
    var error: Error? { lock.withLock { first } }
}

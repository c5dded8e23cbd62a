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
    /// Whether every stored secret records its reference (a store written
    /// before version 4 does not, until an apply records them): a snapshot
    /// and `apply --reviewed` need them.
    public var recordsEveryReference = true

    /// A plan against a snapshot (`plan --snapshot`): no store, no key, no
    /// secret value; secrets compare by reference.
    public var snapshot: StateSnapshot?
    /// Every reference the store (or snapshot) records, with the company
    /// that holds it: no other company may use it.
    public var referenceOwners: [String: String] = [:]
    /// The store revision the summaries were read at (0: none yet).
    public var storeRevision = 0

    /// What a change set names as its store: the store's id, or for no
    /// store the absent store's identity (`none:PATH`; a snapshot of no
    /// store written with `--empty` names `none`).
    public var changeSetStore: String {
        if let storeID { return storeID }
        if let snapshot { return snapshot.storeID }
        return ReviewedChangeSet.absent(at: Paths.absolute(path))
    }

    /// "store PATH (store ID, store revision N, K companies)", or the
    /// snapshot's, or "(no store yet)": what a plan or apply is compared against.
    public var label: String {
        if let snapshot {
            return "snapshot \(Paths.display(path)) (store \(snapshot.storeID), store revision \(snapshot.storeRevision), written \(snapshot.createdAt); no secret read)"
        }
        guard let storeID else {
            let near = StoreLocation.nearby(path).map { Paths.display($0) }
            return "store \(Paths.display(path)) (none there yet\(near.isEmpty ? "" : "; did you mean \(near.joined(separator: " or "))?"))"
        }
        let n = summaries.count
        return "store \(Paths.display(path)) (store \(storeID), store revision \(storeRevision), \(n) compan\(n == 1 ? "y" : "ies"))"
    }

    /// Whole companies, read by id. A company whose revision is not the one
    /// its summary has (an apply committed since the summaries were read)
    /// stops the run: a plan never shows one version's fields with
    /// another's revision.
    /// - Throws: ``Reconciler/Failure`` for a company changed while it was read, `StoreShapeError` for a value mailform cannot read, or `DatabaseError` when the store cannot be read.
    public func companies(_ ids: some Collection<String>) throws -> [String: StoredCompany] {
        guard let store, snapshot == nil, !ids.isEmpty else { return [:] }
        let read = try store.read { db in try CompanyRows.read(ids: ids, db) }
        for id in ids where read[id]?.revision != summaries[id]?.revision {
            throw Reconciler.Failure("stale plan: company \(SafeText.escape(id)) changed in the store while this run read it; run it again", code: .planStale)
        }
        return read
    }

    /// Every company of the store, whole (export).
    /// - Throws: `StoreShapeError` for a value mailform cannot read, or `DatabaseError` when the store cannot be read.
    public func allCompanies() throws -> [String: StoredCompany] {
        guard let store else { return [:] }
        return try store.read { db in try CompanyRows.readAll(db) }
    }

    /// The flattened fields of these companies, as the diff compares them.
    func flattened(_ ids: [String]) throws -> [String: Differ.Fields] {
        if let snapshot { return snapshot.fields(ids) }
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
    public struct Failure: MailformError {
        public var description: String
        public var code: ErrorCode
        public var hint: String?
        public init(_ description: String, code: ErrorCode, hint: String? = nil) {
            self.description = description
            self.code = code
            self.hint = hint
        }
        public var message: String { description }
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
                                 migrate: Bool = true, readOnly: Bool = false, newStoreID: String? = nil) throws -> OpenedStore {
        let keyFile = StoreKey.keyFilePath(forStore: path)
        if let link = SafeWrite.linkBelowCurrentFolder(keyFile) {
            throw Failure("the store key file \(SafeText.escape(Paths.display(keyFile))) is reached through the symbolic link \(SafeText.escape(Paths.display(link))) inside the current folder; mailform opens no store or key through a link a checkout holds", code: .storeKey)
        }
        let store: Store?
        do {
            store = try Store.open(path: path, create: createStore, lockTimeout: lockTimeout, migrate: migrate, readOnly: readOnly,
                                   newStoreID: newStoreID)
        } catch let failure as Store.Failure {
            throw Failure(failure.description, code: failure.code, hint: failure.hint)
        }
        let storedKeys = try store?.storedKeyIDs() ?? []
        let loaded: (StoreKey, StoreKey.Source)?
        do {
            loaded = try StoreKey.load(storePath: path, environment: environment, create: storedKeys.isEmpty && (createKey ?? createStore))
                ?? (storedKeys.isEmpty ? (StoreKey.ephemeral(), .ephemeral) : nil)
        } catch let failure as StoreKey.Failure {
            throw Failure(failure.description, code: failure.code)
        }
        guard let (key, source) = loaded else {
            throw Failure(StoreLocation.isURL(path)
                ? "no store key: the store's secrets are encrypted, and MAILFORM_STORE_KEY (where a PostgreSQL store's key comes from) is not set; set the key the store was made with"
                : "no store key: the store's secrets are encrypted, but MAILFORM_STORE_KEY is not set and \(Paths.display(StoreKey.keyFilePath(forStore: path))) does not exist; set the key the store was made with", code: .storeKey)
        }
        if let other = storedKeys.first(where: { $0 != key.id }) {
            throw Failure("wrong store key: the store's secrets were encrypted with key \(other), the key given is \(key.id); set MAILFORM_STORE_KEY\(StoreLocation.isURL(path) ? "" : " or the key file") to the store's key", code: .storeKey)
        }
        let notice = keyNotice(source)
        let recordsEveryReference = try store?.recordsEveryReference() ?? true
        // The summaries and the store revision they are of, in one read.
        let (summaries, storeRevision) = try store?.read { db in
            (try CompanyRows.readSummaries(db), try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM revisions") ?? 0)
        } ?? ([:], 0)
        let box: SecretBox
        do { box = try SecretBox(key: key) } catch let failure as SecretBox.Failure { throw Failure(failure.description, code: failure.code) }
        return OpenedStore(store: store, path: path, box: box, summaries: summaries,
                           storeID: try store?.identity(), keyNotice: notice, keySource: source, recordsEveryReference: recordsEveryReference,
                           referenceOwners: try store?.referenceOwners() ?? [:], storeRevision: storeRevision)
    }

    /// A snapshot as the current side of a plan: no store is opened, no key
    /// read (secrets compare by reference; the key here is for this run only
    /// and seals nothing).
    /// - Throws: ``Failure`` when OpenSSL's HMAC does not work.
    public static func open(snapshot: StateSnapshot, path: String) throws -> OpenedStore {
        let box: SecretBox
        do { box = try SecretBox(key: StoreKey.ephemeral()) } catch let failure as SecretBox.Failure { throw Failure(failure.description, code: failure.code) }
        return OpenedStore(store: nil, path: path, box: box, summaries: snapshot.summaries(),
                           storeID: ReviewedChangeSet.namesNoStore(snapshot.storeID) ? nil : snapshot.storeID, keyNotice: nil,
                           keySource: .ephemeral, recordsEveryReference: true, snapshot: snapshot, referenceOwners: snapshot.referenceOwners)
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
    /// - Throws: ``StoreKey/Failure`` when the key file cannot be read or made.
    public static func lastingKey(_ opened: OpenedStore, environment: [String: String]) throws -> OpenedStore {
        guard opened.keySource == .ephemeral else { return opened }
        // No key file beside a store that will not be made (its side files are there).
        if opened.store == nil {
            do { try Store.checkCreatable(opened.path) } catch let failure as Store.Failure { throw Failure(failure.description, code: failure.code) }
        }
        var lasting = opened
        do {
            guard let (key, source) = try StoreKey.load(storePath: opened.path, environment: environment, create: true) else {
                throw Failure("no store key could be created beside \(SafeText.escape(Paths.display(opened.path)))", code: .storeKey)
            }
            lasting.box = try SecretBox(key: key)
            lasting.keySource = source
            lasting.keyNotice = keyNotice(source)
        } catch let failure as StoreKey.Failure {
            throw Failure(failure.description, code: failure.code)
        } catch let failure as SecretBox.Failure {
            throw Failure(failure.description, code: failure.code)
        }
        return lasting
    }

    /// The plan of `desired` against the opened store.
    /// - Throws: ``SecretBox/Failure`` when a secret cannot be fingerprinted, or what reading the store throws.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, scope: [String], prune: Bool) throws -> Plan {
        let filter: ((String) -> Bool)? = scope.isEmpty ? nil : { id in scope.contains { Glob.matches(pattern: $0, id) } }
        return try plan(desired: desired, opened: opened, filter: filter, prune: prune)
    }

    /// The plan of `desired` against the opened store, limited to the ids `filter` accepts.
    /// - Throws: ``SecretBox/Failure`` when a secret cannot be fingerprinted, or what reading the store throws.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, filter: ((String) -> Bool)?, prune: Bool) throws -> Plan {
        var builder = Differ.Builder(current: opened.summaries, scope: filter)
        _ = try add(desired, to: &builder, opened: opened)
        return try builder.finish(prune: prune, fetch: opened.flattened)
    }

    /// Adds a batch of desired companies to a plan (`Differ.Builder.add`),
    /// their secrets fingerprinted with the store key; returns the indexes
    /// of those that change.
    /// - Throws: ``SecretBox/Failure`` when a secret cannot be fingerprinted, or what reading the store throws.
    public static func add(_ batch: [Company<ResolvedSecret>], to builder: inout Differ.Builder, opened: OpenedStore) throws -> [Int] {
        // Fingerprinted as the parallel diff flattens each company; the
        // first failure of HMAC (fail closed) stops the plan afterwards.
        if opened.snapshot != nil {
            return try builder.add(batch, fingerprint: { SecretFingerprint.byReference($0.canonical) }, fetch: opened.flattened)
        }
        let (fingerprint, failure) = fingerprinter(opened.box)
        let changed = try builder.add(batch, fingerprint: fingerprint, fetch: opened.flattened)
        if let error = failure.error { throw error }
        return changed
    }

    /// A fingerprint function for the diff (keyed with `box`, the reference
    /// kept for display) and where its first failure is recorded.
    /// The comparison is by value: a reference renamed to another that holds
    /// the same value is no change to the settings (apply records it; a
    /// snapshot's plan, which compares references, shows it).
    static func fingerprinter(_ box: SecretBox) -> (@Sendable (ResolvedSecret) -> SecretFingerprint, FirstFailure) {
        let failure = FirstFailure()
        return ({ resolved in
            do {
                return SecretFingerprint(hex: try box.fingerprint(resolved.secret).hex, reference: resolved.canonical)
            } catch {
                failure.record(error)
                return SecretFingerprint(hex: "unavailable")
            }
        }, failure)
    }

    /// The digest of a company's fields as the plan compares them
    /// (`FieldsDigest`), its secrets fingerprinted with `box`.
    /// - Throws: ``SecretBox/Failure`` when a secret cannot be fingerprinted.
    public static func digest(_ company: Company<ResolvedSecret>, box: SecretBox) throws -> FieldsDigest {
        let (fingerprint, failure) = fingerprinter(box)
        let digest = FieldsDigest(FieldFlattener.flatten(company, fingerprint: fingerprint))
        if let error = failure.error { throw error }
        return digest
    }

    /// The references of `batch`'s secrets with their fingerprints, for a
    /// store that does not record every reference yet (``Applier/Request/references``).
    /// - Throws: ``SecretBox/Failure`` when HMAC fails.
    /// - Parameter box: fingerprints the values (an apply's guard that the
    ///   store still holds them); nil for a plan, which writes nothing.
    public static func references(of batch: [Company<ResolvedSecret>], box: SecretBox?) throws -> [RecordedReference] {
        var out: [RecordedReference] = []
        for company in batch {
            _ = try company.mapSecrets { path, secret -> Int in
                out.append(RecordedReference(company: company.id, path: path, reference: secret.canonical,
                                             fingerprint: try box?.fingerprint(secret.secret).hex ?? ""))
                return 0
            }
        }
        return out
    }

    /// The references of `references` the store does not record as they
    /// are (another, or none), for the secrets the store holds, and whose
    /// field `plan` does not change (a changed secret is written with its
    /// reference: listed once, as the change).
    /// - Throws: ``Store/Failure`` when the store cannot be read.
    public static func unrecorded(_ references: [RecordedReference], opened: OpenedStore, plan: Plan) throws -> [RecordedReference] {
        guard let store = opened.store, !references.isEmpty else { return [] }
        var changing = Set<String>()
        for change in plan.changes { for field in change.fields { changing.insert(change.id + "\u{0}" + field.path) } }
        let recorded = try store.recordedReferences(of: Set(references.map(\.company)))
        return references.compactMap { reference in
            guard !changing.contains(reference.company + "\u{0}" + reference.path) else { return nil }
            // Not stored: written with its row.
            guard let stored = recorded[reference.company]?[reference.path], stored != reference.reference else { return nil }
            var differing = reference
            differing.previous = stored
            return differing
        }
    }

    /// The plan of the batches added to `builder`.
    /// - Throws: what reading the changed companies from the store throws (``Reconciler/Failure``, `StoreShapeError`, `DatabaseError`).
    public static func finish(_ builder: Differ.Builder, opened: OpenedStore, prune: Bool) throws -> Plan {
        try builder.finish(prune: prune, fetch: opened.flattened)
    }

    /// The saved-plan form of a desired company: references relative to the workspace, fingerprints.
    /// Its fingerprints are bound to the store, the company and the field
    /// (``SecretBox/planFingerprint(_:store:company:path:salt:)``).
    /// - Throws: ``SecretBox/Failure`` when HMAC fails.
    public static func planned(_ company: Company<ResolvedSecret>, box: SecretBox, storeID: String?, salt: String,
                               workspaceRoot: String) throws -> Company<PlannedSecret> {
        try company.mapSecrets { path, secret in
            PlannedSecret(reference: secret.reference.description, origin: relative(secret.origin, to: workspaceRoot),
                          fingerprint: try box.planFingerprint(secret.secret, store: storeID, company: company.id, path: path, salt: salt))
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

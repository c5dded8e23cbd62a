import Foundation
import MailformCore

/// The store, its key and its contents, opened for planning or applying.
public struct OpenedStore: Sendable {
    public var store: Store?
    public var path: String
    public var box: SecretBox
    public var current: [String: StoredCompany]
    public var storeID: String?
    /// Said to the user when the key file was created now.
    public var keyNotice: String?
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
    public static func openStore(path: String, createStore: Bool, createKey: Bool? = nil, lockTimeout: TimeInterval = 10,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OpenedStore {
        let store: Store?
        do {
            store = try Store.open(path: path, create: createStore, lockTimeout: lockTimeout)
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
        var notice: String?
        if case .created(let file) = source {
            notice = "created the store key \(Paths.display(file)) (mode 0600); keep it safe: without it the store's secrets cannot be read"
        }
        let current = try store.map { s in try s.read { db in try CompanyRows.readAll(db) } } ?? [:]
        let box: SecretBox
        do { box = try SecretBox(key: key) } catch let failure as SecretBox.Failure { throw Failure(failure.description) }
        return OpenedStore(store: store, path: path, box: box, current: current,
                           storeID: try store?.identity(), keyNotice: notice)
    }

    /// The plan of `desired` against the opened store.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, scope: [String], prune: Bool) throws -> Plan {
        let filter: ((String) -> Bool)? = scope.isEmpty ? nil : { id in scope.contains { Glob.matches(pattern: $0, id) } }
        return try plan(desired: desired, opened: opened, filter: filter, prune: prune)
    }

    /// The plan of `desired` against the opened store, limited to the ids `filter` accepts.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, filter: ((String) -> Bool)?, prune: Bool) throws -> Plan {
        // Fingerprinted as the parallel diff flattens each company; the
        // first failure of HMAC (fail closed) stops the plan afterwards.
        let failure = FirstFailure()
        let box = opened.box
        let fingerprint: @Sendable (ResolvedSecret) -> SecretFingerprint = { resolved in
            do {
                var fingerprint = try box.fingerprint(resolved.secret)
                fingerprint.reference = resolved.reference.description
                return fingerprint
            } catch {
                failure.record(error)
                return SecretFingerprint(hex: "unavailable")
            }
        }
        let current = opened.current.mapValues { stored in
            Differ.Current(name: stored.company.name, revision: stored.revision,
                           flattened: { FieldFlattener.flatten(stored.company, fingerprint: \.fingerprint) })
        }
        let plan = Differ.diff(desired: desired, fingerprint: fingerprint, current: current, scope: filter, prune: prune)
        if let error = failure.error { throw error }
        return plan
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

import Foundation
import MailformCore

/// Where the store is: `--store`, then `MAILFORM_STORE`, then the workspace's
/// `store:`, then `mailform.db` in the workspace folder.
public enum StoreLocation {
    public static func resolve(flag: String?, workspace: Workspace,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let flag { return Paths.absolute(flag) }
        if let env = environment["MAILFORM_STORE"], !env.isEmpty { return Paths.absolute(env) }
        if let path = workspace.storePath { return path }
        return Paths.absolute("mailform.db", relativeTo: workspace.root)
    }
}

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

    /// Opens the store (without creating it) and its key (creating the key file
    /// on first use, when the store holds no secrets yet).
    public static func openStore(path: String, createStore: Bool, lockTimeout: TimeInterval = 10,
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
            loaded = try StoreKey.load(storePath: path, environment: environment, create: storedKeys.isEmpty)
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
        return OpenedStore(store: store, path: path, box: SecretBox(key: key), current: current,
                           storeID: try store?.identity(), keyNotice: notice)
    }

    /// The plan of `desired` against the opened store.
    public static func plan(desired: [Company<ResolvedSecret>], opened: OpenedStore, scope: [String], prune: Bool) -> Plan {
        let fingerprinted = desired.map { $0.map { opened.box.fingerprint($0.secret) } }
        let current = opened.current.mapValues { Differ.Current(company: $0.company.fingerprinted, revision: $0.revision) }
        let filter: ((String) -> Bool)? = scope.isEmpty ? nil : { id in scope.contains { Glob.matches(pattern: $0, id) } }
        return Differ.diff(desired: fingerprinted, current: current, scope: filter, prune: prune)
    }

    /// The saved-plan form of a desired company: references relative to the workspace, fingerprints.
    public static func planned(_ company: Company<ResolvedSecret>, box: SecretBox, workspaceRoot: String) -> Company<PlannedSecret> {
        company.map { secret in
            PlannedSecret(reference: secret.reference.description, origin: relative(secret.origin, to: workspaceRoot),
                          fingerprint: box.fingerprint(secret.secret).hex)
        }
    }

    static func relative(_ path: String, to root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

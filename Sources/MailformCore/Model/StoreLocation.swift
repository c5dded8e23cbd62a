import Foundation

/// Where the store is: `--store`, then `MAILFORM_STORE`, then the workspace's
/// `store:`, then `mailform.db` in the workspace folder.
///
/// It lives in the core because the loader and the secret resolver must know
/// the store's files too: no company file, profile or `${file:}` reference
/// may ever read the store, its journal files or its key.
public enum StoreLocation {
    /// The store's path. Its files and key are handed to ``SafeWrite`` as
    /// files no write of this run may replace.
    public static func resolve(flag: String?, workspace: Workspace,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let path: String
        if let flag { path = Paths.absolute(flag) }
        else if let env = environment["MAILFORM_STORE"], !env.isEmpty { path = Paths.absolute(env) }
        else if let stored = workspace.storePath { path = stored }
        else { path = Paths.absolute("mailform.db", relativeTo: workspace.root) }
        SafeWrite.neverWrite(protectedFiles(forStore: path))
        return path
    }

    /// `<store>.key`, the key file beside the store.
    public static func keyFile(forStore store: String) -> String { store + ".key" }

    /// The store, its SQLite side files and its key file.
    public static func protectedFiles(forStore store: String) -> [String] {
        [store, store + "-wal", store + "-shm", store + "-journal", keyFile(forStore: store)]
    }

    /// Environment variables no reference may read, whatever the fences say.
    public static let protectedVariables: Set<String> = ["MAILFORM_STORE_KEY", "MAILFORM_STORE"]
}

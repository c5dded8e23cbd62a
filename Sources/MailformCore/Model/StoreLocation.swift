import Foundation
import JSONSchema

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
        if let flag { path = isURL(flag) ? flag : Paths.absolute(flag) }
        else if let env = environment["MAILFORM_STORE"], !env.isEmpty { path = isURL(env) ? env : Paths.absolute(env) }
        else if let stored = workspace.storePath { path = stored }
        else { path = Paths.absolute("mailform.db", relativeTo: workspace.root) }
        SafeWrite.neverWrite(protectedFiles(forStore: path))
        return path
    }

    /// `<store>.key`, the key file beside the store.
    public static func keyFile(forStore store: String) -> String { store + ".key" }

    /// The store, its SQLite side files and its key file (none for a PostgreSQL store).
    public static func protectedFiles(forStore store: String) -> [String] {
        isURL(store) ? [] : [store, store + "-wal", store + "-shm", store + "-journal", keyFile(forStore: store)]
    }

    // MARK: PostgreSQL stores

    /// Whether the store is a PostgreSQL URL (`postgresql://…`, `postgres://…`)
    /// rather than an SQLite file.
    public static func isURL(_ store: String) -> Bool {
        let lower = store.prefix(13).lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// The store as shown: a path as `Paths.display` shows it; a URL without
    /// any password (`user:secret@` becomes `user@`, `password=` is dropped),
    /// escaped.
    public static func display(_ store: String) -> String {
        guard isURL(store) else { return Paths.display(store) }
        return SafeText.escape(redacted(store))
    }

    /// The URL without its password.
    static func redacted(_ store: String) -> String {
        var text = store
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                text.replaceSubrange(colon..<at, with: "")
            }
        }
        if let query = text.firstIndex(of: "?") {
            let kept = text[text.index(after: query)...].split(separator: "&")
                .filter { !$0.lowercased().hasPrefix("password=") }
            text = String(text[..<query]) + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
        }
        return text
    }

    /// Why a store URL is refused, or nil: it may hold no password (it is
    /// printed and may sit in a file in Git), and it names a host and a
    /// database.
    public static func urlProblem(_ url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return "is not a URL" }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") { return "holds a password" }
        if url.lowercased().contains("password=") { return "holds a password" }
        if url.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) { return "holds a space or a control character" }
        let path = rest[authorityEnd...].prefix { $0 != "?" }
        if path.count <= 1 { return "names no database (postgresql://user@host:port/DATABASE)" }
        return nil
    }

    /// Environment variables no reference may read, whatever the fences say.
    public static let protectedVariables: Set<String> = ["MAILFORM_STORE_KEY", "MAILFORM_STORE"]

    /// Stores near a path that has none, for "did you mean …?": files in its
    /// folder named like a store (`.db`, `.sqlite`, `.sqlite3`) or within two
    /// edits of its name. The folder is read for at most 4,096 entries, and
    /// at most three names are given.
    public static func nearby(_ path: String) -> [String] {
        let folder = Paths.directory(of: path)
        let name = (path as NSString).lastPathComponent
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var found: [(distance: Int, path: String)] = []
        var seen = 0
        while seen < 4_096, let entry = readdir(dir) {
            seen += 1
            let candidate = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            guard candidate != ".", candidate != "..", candidate != name, !candidate.hasSuffix("-wal"), !candidate.hasSuffix("-shm"),
                  !candidate.hasSuffix("-journal"), !candidate.hasSuffix(".key") else { continue }
            let storeLike = [".db", ".sqlite", ".sqlite3"].contains { candidate.hasSuffix($0) }
            let distance = candidate.count <= 64 && name.count <= 64 ? DidYouMean.distance(candidate, name) : Int.max
            guard storeLike || distance <= 2 else { continue }
            let full = (folder as NSString).appendingPathComponent(candidate)
            var info = stat()
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            found.append((distance, full))
        }
        return found.sorted { ($0.distance, $0.path) < ($1.distance, $1.path) }.prefix(3).map(\.path)
    }
}

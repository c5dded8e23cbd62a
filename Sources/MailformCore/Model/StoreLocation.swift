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

    /// A store URL cut into its parts as libpq reads them:
    /// `scheme://[user@]host/path?name=value&…`.
    struct URLParts {
        var scheme: Substring
        var user: Substring?
        var host: Substring
        var path: Substring
        /// Each `name=value` pair, and its name.
        var parameters: [(pair: Substring, name: String)]

        init?(_ url: String) {
            guard let mark = url.range(of: "://") else { return nil }
            scheme = url[..<mark.upperBound]
            let rest = url[mark.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                user = authority[..<at]
                host = authority[authority.index(after: at)...]
            } else {
                host = authority
            }
            let pathAndQuery = rest[authorityEnd...]
            path = pathAndQuery.prefix { $0 != "?" }
            let query = pathAndQuery.dropFirst(path.count).dropFirst()
            parameters = query.split(separator: "&").map { ($0, $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? "") }
        }
    }

    /// The URL as it may be shown: the scheme, the user (unless it holds a
    /// `:` or a `%`), the host, port and database, and of the query only the
    /// parameters a store URL may set (``allowedParameters``) with their
    /// values; anything else is shown as `…`. A URL is printed in plans, PR
    /// comments and errors, and libpq decodes `%XX` everywhere, so nothing
    /// that could be (or decode to) a password is echoed, even in the error
    /// that refuses it.
    static func redacted(_ store: String) -> String {
        guard let url = URLParts(store) else { return "…" }
        var out = String(url.scheme)
        if let user = url.user { out += (user.contains(":") || user.contains("%") ? "…" : String(user)) + "@" }
        out += url.host.contains("%") ? "…" : String(url.host)
        out += url.path.contains("%") ? "/…" : String(url.path)
        if store.contains("?") {
            out += "?" + url.parameters.map { allowedParameters.contains($0.name) && !$0.pair.contains("%") ? String($0.pair) : "…" }
                .joined(separator: "&")
        }
        return out
    }

    /// Why a store URL is refused, or nil: it may hold no password (it is
    /// printed and may sit in a file in Git), and it names a host and a
    /// database.
    public static func urlProblem(_ store: String) -> String? {
        // libpq reads only these spellings as a URL (others: as a database name).
        guard store.hasPrefix("postgresql://") || store.hasPrefix("postgres://"), let url = URLParts(store) else {
            return "does not start with postgresql:// (in lower case)"
        }
        // libpq decodes %XX in every part, names of parameters too
        // (`?%70assword=` is `password=`): a URL that needs none is the only
        // one whose meaning can be read here as libpq reads it.
        if store.contains("%") { return "holds a percent-encoded character (libpq would decode it; write the URL without any)" }
        if url.user?.contains(":") == true || store.lowercased().contains("password=") { return "holds a password" }
        if store.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) { return "holds a space or a control character" }
        if url.path.count <= 1 { return "names no database (postgresql://user@host:port/DATABASE)" }
        // Parameters: TLS and timeouts only; none that changes where the
        // connection goes, who logs in, or where a password comes from.
        if url.parameters.contains(where: { !allowedParameters.contains($0.name) }) {
            return "sets a parameter a store URL may not set (allowed: \(allowedParameters.sorted().joined(separator: ", ")))"
        }
        return nil
    }

    /// The query parameters a store URL may set.
    public static let allowedParameters: Set<String> = ["sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslcompression", "sslsni",
                                                        "channel_binding", "connect_timeout", "target_session_attrs", "gssencmode"]

    /// Environment variables no reference may read, whatever the fences say.
    public static let protectedVariables: Set<String> = ["MAILFORM_STORE_KEY", "MAILFORM_STORE"]

    /// " (did you mean A or B?)" for a store path that has no store, or "".
    public static func didYouMean(_ path: String) -> String {
        guard !isURL(path) else { return "" }
        let near = nearby(path).map { SafeText.escape(Paths.display($0)) }
        return near.isEmpty ? "" : " (did you mean \(near.joined(separator: " or "))?)"
    }

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

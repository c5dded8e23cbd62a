import Foundation

/// Which files may be read as company, profile or workspace files.
///
/// A pull request controls file names, contents and symbolic links. Only
/// regular YAML files that, after resolving links, lie inside the workspace
/// are read: never a hidden path (`.git/config` holds CI tokens), never the
/// store, its side files or its key, never anything under a secrets folder.
/// The checks run on the resolved path; ``SafeFile`` then refuses a final
/// link, a non-regular file or one over the size limit on the opened file.
public struct WorkspaceFence: Sendable {
    /// Resolved folders files may come from.
    public var roots: [String]
    /// Resolved paths of the store, its side files and its key.
    public var protectedFiles: Set<String>
    /// Resolved secret folders: `secrets.dirs`.
    public var secretFolders: [String]

    /// The protected files by device and inode: a hard link to the key or
    /// the store has another path but the same file.
    public var protectedIdentities: Set<FileIdentity>

    public init(roots: [String], protectedFiles: [String], secretFolders: [String]) {
        self.roots = roots.map(Paths.real)
        self.protectedFiles = Set(protectedFiles.map(Paths.real))
        self.secretFolders = secretFolders.map(Paths.real)
        self.protectedIdentities = Set(protectedFiles.compactMap(FileIdentity.init(path:)))
    }

    /// Whether `real` is a protected file, by path or by device and inode.
    public func isProtected(_ real: String) -> Bool {
        protectedFiles.contains(real) || FileIdentity(path: real).map(protectedIdentities.contains) == true
    }

    public enum Refusal: MailformError, Sendable, Equatable {
        case outside
        case hidden
        case protectedFile
        case secretFolder
        case notYAML
        case pathTooLong

        public var code: ErrorCode { .fileFenced }
        public var description: String { message }

        public var message: String {
            switch self {
            case .outside: "file lies outside the workspace (after resolving symbolic links)"
            case .hidden: "file lies in a hidden folder or is hidden (after resolving symbolic links)"
            case .protectedFile: "file is the store or its key"
            case .secretFolder: "file lies in a secrets folder"
            case .notYAML: "file does not resolve to a .yaml or .yml file"
            case .pathTooLong: "path is longer than the system allows (\(Int(PATH_MAX)) bytes)"
            }
        }

        public var hint: String? {
            switch self {
            case .pathTooLong: "shorten the folder names"
            default: "company, profile and workspace files must be regular YAML files inside the workspace; replace the link with the file itself"
            }
        }
    }

    /// The resolved path when the file may be read.
    public func admit(_ absolutePath: String, requireYAML: Bool = true) -> Result<String, Refusal> {
        if absolutePath.utf8.count >= Int(PATH_MAX) { return .failure(.pathTooLong) }
        let real = Paths.real(absolutePath)
        if real.utf8.count >= Int(PATH_MAX) { return .failure(.pathTooLong) }
        if isProtected(real) { return .failure(.protectedFile) }
        if secretFolders.contains(where: { Paths.isInside(real, $0) }) { return .failure(.secretFolder) }
        guard let root = roots.filter({ Paths.isInside(real, $0) }).max(by: { $0.count < $1.count }) else { return .failure(.outside) }
        let relative = real.dropFirst(root.count).split(separator: "/")
        if relative.contains(where: { $0.hasPrefix(".") }) { return .failure(.hidden) }
        if relative.dropLast().contains("secrets") { return .failure(.secretFolder) }
        if requireYAML && !(real.hasSuffix(".yaml") || real.hasSuffix(".yml")) { return .failure(.notYAML) }
        return .success(real)
    }
}

/// A file's device and inode (`stat`), the same for every hard link to it.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the file at `path` (links followed); nil when there is none.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

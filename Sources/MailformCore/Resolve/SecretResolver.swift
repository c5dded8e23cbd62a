import Foundation
import JSONSchema

/// Reads secret values behind references, inside the workspace's fences.
///
/// Company files may come from an untrusted pull request: `${env:}` reads only
/// variables matching `secrets.env`, and `${file:}` only files inside the
/// workspace or `secrets.dirs`, after resolving symbolic links. Otherwise a
/// pull request could make the probe send the CI's credentials to its own host.
public struct SecretResolver: Sendable {
    public let workspace: Workspace
    public let environment: [String: String]
    /// Secret files read in this run: ten thousand companies often share a few.
    private let fileCache = SecretFileCache()
    private let fenceFolders: [String]

    public init(workspace: Workspace, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.workspace = workspace
        self.environment = environment
        self.fenceFolders = workspace.fenceFolders
    }

    public enum Problem: Error, Sendable {
        case envNotAllowed(String)
        case envNotSet(String)
        case fileOutsideFence(String)
        case fileUnreadable(String)
        case empty(String)

        public var message: String {
            switch self {
            case .envNotAllowed(let name): "secret reference ${env:\(name)} reads a variable outside the secrets.env fence"
            case .envNotSet(let name): "environment variable '\(name)' is not set"
            case .fileOutsideFence(let path): "secret file '\(path)' is outside the workspace and secrets.dirs"
            case .fileUnreadable(let path): "secret file '\(path)' cannot be read"
            case .empty(let reference): "secret \(reference) is empty"
            }
        }

        public var rule: String {
            switch self {
            case .envNotAllowed: "secret-env-fence"
            case .fileOutsideFence: "secret-file-fence"
            default: "secret-unresolved"
            }
        }

        public func hint(workspace: Workspace) -> String {
            switch self {
            case .envNotAllowed:
                "use a variable matching \(workspace.secretEnvPatterns.joined(separator: ", ")), or add its pattern to secrets.env in mailform.yaml"
            case .envNotSet(let name): "export \(name) before running mailform"
            case .fileOutsideFence: "keep secret files inside the workspace, or add their folder to secrets.dirs in mailform.yaml"
            case .fileUnreadable: "check that the file exists and is readable"
            case .empty: "put the secret value in it"
            }
        }
    }

    /// The absolute path a `${file:}` reference points to, relative to the
    /// file that holds the reference.
    public func filePath(_ path: String, referencedFrom file: String) -> String {
        Paths.absolute(path, relativeTo: Paths.directory(of: file))
    }

    /// Checks the fence without reading anything (used by `validate`).
    public func checkFence(_ reference: SecretReference, referencedFrom file: String) -> Problem? {
        switch reference.kind {
        case .env(let name):
            return workspace.allowsEnv(name) ? nil : .envNotAllowed(name)
        case .file(let path):
            let absolute = filePath(path, referencedFrom: file)
            let real = Paths.real(absolute)
            return fenceFolders.contains(where: { Paths.isInside(real, $0) }) ? nil : .fileOutsideFence(path)
        }
    }

    /// Reads the value. A trailing newline of a secret file is dropped.
    public func resolve(_ reference: SecretReference, referencedFrom file: String) -> Result<Secret, Problem> {
        if let problem = checkFence(reference, referencedFrom: file) { return .failure(problem) }
        switch reference.kind {
        case .env(let name):
            guard let value = environment[name] else { return .failure(.envNotSet(name)) }
            guard !value.isEmpty else { return .failure(.empty(reference.description)) }
            return .success(Secret(value))
        case .file(let path):
            let absolute = filePath(path, referencedFrom: file)
            let read = fileCache.value(for: absolute) {
                guard !Paths.isDirectory(absolute), var bytes = try? Paths.readBytes(absolute) else { return nil }
                if bytes.last == 0x0A { bytes.removeLast() }
                if bytes.last == 0x0D { bytes.removeLast() }
                return Secret(bytes: bytes)
            }
            guard let secret = read else { return .failure(.fileUnreadable(path)) }
            guard !secret.isEmpty else { return .failure(.empty(reference.description)) }
            return .success(secret)
        }
    }
}

/// Secret file contents read once per run and path.
final class SecretFileCache: @unchecked Sendable {
    private var values: [String: Secret?] = [:]
    private let lock = NSLock()

    func value(for path: String, read: () -> Secret?) -> Secret? {
        lock.lock()
        defer { lock.unlock() }
        if let hit = values[path] { return hit }
        let value = read()
        values[path] = value
        return value
    }
}

import Foundation
import JSONSchema

/// Reads secret values behind references, inside the workspace's fences.
///
/// Company files may come from an untrusted pull request: `${env:}` reads only
/// variables matching `secrets.env` (with `{company}` / `{profile}` standing
/// for the file's owner, so one tenant cannot borrow another's variables),
/// and `${file:}` only files inside the workspace or `secrets.dirs`, after
/// resolving symbolic links. Whatever the fences say, no reference reads the
/// store key (`MAILFORM_STORE_KEY`, the key file) or the store and its side
/// files. Secret files are regular files of at most 64 KiB, checked on the
/// opened file.
public struct SecretResolver: Sendable {
    public static let maxFileSize = 64 << 10

    public let workspace: Workspace
    public let environment: [String: String]
    /// The env forms of every company id and profile name known to the run.
    public let owners: Set<String>
    /// The env forms of the company ids alone: a profile named like a company
    /// (`profiles/globex.yaml`) may not read that company's variables.
    public let companyOwners: Set<String>
    /// Secret files read in this run: ten thousand companies often share a few.
    private let fileCache = SecretFileCache()
    private let fenceFolders: [String]
    private let protectedFiles: Set<String>
    /// The same files by device and inode (a hard link has another path).
    private let protectedIdentities: Set<FileIdentity>

    /// - Parameter ownersIncludeCompanies: `owners` holds `companyOwners`
    ///   already (a batch of 100,000 companies would copy both sets otherwise).
    public init(workspace: Workspace, environment: [String: String] = ProcessInfo.processInfo.environment,
                owners: Set<String> = [], companyOwners: Set<String> = [], ownersIncludeCompanies: Bool = false) {
        self.workspace = workspace
        self.environment = environment
        self.owners = ownersIncludeCompanies ? owners : owners.union(companyOwners)
        self.companyOwners = companyOwners
        self.fenceFolders = workspace.fenceFolders
        self.protectedFiles = Set(workspace.protectedFiles.map(Paths.real))
        self.protectedIdentities = Set(workspace.protectedFiles.compactMap(FileIdentity.init(path:)))
    }

    public enum Problem: MailformError, Sendable {
        case envNotAllowed(String)
        case envProtected(String)
        case envNotSet(String)
        case fileOutsideFence(String)
        case fileOfAnotherOwner(String, folder: String)
        case fileThroughLink(String, link: String)
        case fileKernel(String)
        case profileWorkspaceFile(String)
        case fileProtected(String)
        case fileHidden(String)
        case profileNamedLikeCompany(String)
        case fileUnreadable(String, tried: String, reason: String)
        case empty(String)

        public var code: ErrorCode { .secretUnresolved }
        public var description: String { message }

        public var message: String {
            switch self {
            case .envNotAllowed(let name): "secret reference ${env:\(name)} reads a variable outside the secrets.env fence"
            case .envProtected(let name): "secret reference ${env:\(name)} reads the store's key or location, which no reference may read"
            case .envNotSet(let name): "environment variable '\(name)' is not set"
            case .fileOutsideFence(let path): "secret file '\(path)' is outside the workspace and secrets.dirs"
            case .fileOfAnotherOwner(let path, _): "secret file '\(path)' is in a secrets.dirs folder, outside this file's own subfolder there"
            case .fileThroughLink(let path, let link): "secret file '\(path)' is reached through the symbolic link \(link) inside the workspace; no secret is read through a link the workspace holds"
            case .fileKernel(let path): "secret file '\(path)' is one of the kernel's files (/proc, /sys, /dev), which no reference may read"
            case .profileWorkspaceFile(let path): "a profile may not read the secret file '\(path)' inside the workspace: several companies extend a profile, and a secret file there belongs to one company"
            case .fileProtected(let path): "secret file '\(path)' is the store or its key, which no reference may read"
            case .fileHidden(let path): "secret file '\(path)' lies in a hidden folder or is hidden (such as .git/config), which no reference may read"
            case .profileNamedLikeCompany(let name): "profile '\(name)' is named like a company, so its ${env:} references could read that company's variables"
            case let .fileUnreadable(path, tried, reason): "secret file '\(path)' cannot be read: \(tried) \(reason)"
            case .empty(let reference): "secret \(reference) is empty"
            }
        }

        public var rule: String {
            switch self {
            case .envNotAllowed, .envProtected, .profileNamedLikeCompany: "secret-env-fence"
            case .fileOutsideFence, .fileProtected, .fileHidden, .fileOfAnotherOwner, .fileThroughLink, .fileKernel, .profileWorkspaceFile: "secret-file-fence"
            default: "secret-unresolved"
            }
        }

        public func hint(workspace: Workspace, owner: SecretOwner? = nil) -> String {
            switch self {
            case .envNotAllowed:
                let example: String
                if workspace.secretEnvPatterns == Workspace.defaultSecretEnvPatterns {
                    switch owner {
                    case let owner? where owner.defaultEnvPrefix != nil:
                        example = " (for this \(owner.kindName): \(owner.defaultEnvPrefix!)...)"
                    case .company(let id)?:
                        example = " (company id '\(id)' has '--' or ends in '-', so it has no variables of its own: use ${file:} or rename it)"
                    case .profile(let name)?:
                        example = " (profile '\(name)' has '_', '--' or a trailing '-', so it has no variables of its own: rename it with '-' only)"
                    case nil: example = ""
                    }
                } else {
                    example = ""
                }
                return "use a variable matching \(workspace.secretEnvPatterns.joined(separator: ", "))\(example); a company may not read another company's variables"
            case .envProtected, .fileProtected, .fileHidden: return "reference the secret itself, in a variable or file of its own"
            case .profileNamedLikeCompany: return "rename the profile so that no company id reads like it (e.g. 'shared-relay')"
            case .envNotSet(let name): return "export \(name) before running mailform"
            case .fileOutsideFence: return "keep secret files inside the workspace, or add their folder to secrets.dirs in mailform.yaml"
            case .fileOfAnotherOwner(_, let folder): return "in a secrets.dirs folder, a company reads only its own subfolder (\(folder)/…, named for its id; a profile: _NAME/…); set secrets.dirs_reach: all in the trusted workspace to share files"
            case .fileThroughLink: return "name the file itself, not a link to it"
            case .fileKernel: return "reference the secret itself, in a variable or file of its own"
            case .profileWorkspaceFile: return "give the profile a variable of its own (MAILFORM__<PROFILE>__…) or a file in secrets.dirs/_<profile>/, or list the file in secrets.shared of the trusted workspace"
            case .fileUnreadable: return "the path is relative to the file that holds the reference; check that it exists, is readable and under 64 KiB"
            case .empty: return "put the secret value in it"
            }
        }
    }

    /// The absolute path a `${file:}` reference points to, relative to the
    /// file that holds the reference.
    public func filePath(_ path: String, referencedFrom file: String) -> String {
        Paths.absolute(path, relativeTo: Paths.directory(of: file))
    }

    /// Who wrote a reference held in `file`: a profile when the file lies in
    /// the profiles folder, else the company.
    public func owner(ofFile file: String, company: String) -> SecretOwner {
        if Paths.directory(of: file) == workspace.profilesDirectory {
            return .profile(((file as NSString).lastPathComponent as NSString).deletingPathExtension)
        }
        return .company(company)
    }

    /// Checks the fence without reading anything (used by `validate` too).
    public func checkFence(_ reference: SecretReference, referencedFrom file: String, owner: SecretOwner) -> Problem? {
        switch reference.kind {
        case .env(let name):
            if StoreLocation.protectedVariables.contains(name) { return .envProtected(name) }
            if case .profile(let profile) = owner, companyOwners.contains(SecretOwner.envForm(profile)) {
                return .profileNamedLikeCompany(profile)
            }
            return workspace.allowsEnv(name, owner: owner, owners: owners) ? nil : .envNotAllowed(name)
        case .file(let path):
            // No secret is read through a link the workspace holds: a pull
            // request commits links, and a link can make one path name another
            // company's file (links in secrets.dirs, as Kubernetes mounts
            // make them, are the runner's and stay allowed).
            let written = filePath(path, referencedFrom: file)
            if let link = Paths.linkInside(written, folder: workspace.root) {
                return .fileThroughLink(path, link: Paths.display(link))
            }
            let real = Paths.real(written)
            // The kernel's views of processes and devices hold the run's own
            // environment (the store key among it): never a secret file,
            // whatever the fences say.
            if ["/proc", "/sys", "/dev"].contains(where: { Paths.isInside(real, $0) }) { return .fileKernel(path) }
            if protectedFiles.contains(real) || FileIdentity(path: real).map(protectedIdentities.contains) == true { return .fileProtected(path) }
            guard let folder = fenceFolders.filter({ Paths.isInside(real, $0) }).max(by: { $0.count < $1.count }) else {
                return .fileOutsideFence(path)
            }
            // Inside the fence, hidden paths stay out of reach: .git/config holds CI tokens.
            let parts = real.dropFirst(folder.count).split(separator: "/")
            if parts.contains(where: { $0.hasPrefix(".") }) { return .fileHidden(path) }
            // A profile is shared by every company that extends it: inside the
            // workspace, it reads only files the trusted workspace shares.
            let workspaceRoot0 = Paths.real(workspace.root)
            if case .profile = owner, folder == workspaceRoot0 || Paths.isInside(folder, workspaceRoot0),
               !workspace.sharedSecrets.contains(reference.canonical(origin: file, workspaceRoot: workspace.root)) {
                return .profileWorkspaceFile(path)
            }
            // In a secrets.dirs folder (where CI mounts secrets), each owner
            // reads only its own subfolder: no company reaches another's file.
            let workspaceRoot = Paths.real(workspace.root)
            if !workspace.secretDirsReachAll, folder != workspaceRoot, !Paths.isInside(folder, workspaceRoot) {
                guard parts.count >= 2, String(parts[0]) == owner.secretFolderName else {
                    return .fileOfAnotherOwner(path, folder: owner.secretFolderName)
                }
            }
            return nil
        }
    }

    /// Every fence problem of a company's references, located. The same
    /// walk (`mapSecrets`) as resolution, so validate reports everything plan
    /// would refuse, whichever provider is active.
    public func fenceDiagnostics(_ company: Company<SecretReference>, companyFile: String, files: SourceFiles) -> [Diagnostic] {
        fenceDiagnostics(company.secretReferences, company: company.id, companyFile: companyFile, files: files)
    }

    /// The same for references kept apart from their company.
    public func fenceDiagnostics(_ references: [SecretReference], company id: String, companyFile: String,
                                 files: SourceFiles) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for reference in references {
            let origin = files.absolutePath(of: reference.mark) ?? companyFile
            let owner = owner(ofFile: origin, company: id)
            if let problem = checkFence(reference, referencedFrom: origin, owner: owner) {
                out.append(.error(problem.message, at: files.location(reference.mark), hint: problem.hint(workspace: workspace, owner: owner),
                                  rule: problem.rule))
            }
        }
        return out
    }

    /// Reads the value. A trailing newline of a secret file is dropped.
    public func resolve(_ reference: SecretReference, referencedFrom file: String, owner: SecretOwner) -> Result<Secret, Problem> {
        if let problem = checkFence(reference, referencedFrom: file, owner: owner) { return .failure(problem) }
        switch reference.kind {
        case .env(let name):
            guard let value = environment[name] else { return .failure(.envNotSet(name)) }
            guard !value.isEmpty else { return .failure(.empty(reference.description)) }
            return .success(Secret(value))
        case .file(let path):
            let absolute = filePath(path, referencedFrom: file)
            let read = fileCache.value(for: absolute) { () -> Result<Secret, Problem> in
                switch SafeFile.read(Paths.real(absolute), limit: Self.maxFileSize) {
                case .success(var bytes):
                    if bytes.last == 0x0A { bytes.removeLast() }
                    if bytes.last == 0x0D { bytes.removeLast() }
                    return .success(Secret(bytes: bytes))
                case .failure(let problem):
                    let reason = Paths.exists(absolute) ? problem.message : "does not exist"
                    return .failure(.fileUnreadable(path, tried: Paths.display(absolute), reason: reason))
                }
            }
            guard case .success(let secret) = read else { return read }
            guard !secret.isEmpty else { return .failure(.empty(reference.description)) }
            return .success(secret)
        }
    }
}

/// Secret file contents read once per run and path.
final class SecretFileCache: @unchecked Sendable {
    private var values: [String: Result<Secret, SecretResolver.Problem>] = [:]
    private let lock = NSLock()

    func value(for path: String, read: () -> Result<Secret, SecretResolver.Problem>) -> Result<Secret, SecretResolver.Problem> {
        lock.lock()
        defer { lock.unlock() }
        if let hit = values[path] { return hit }
        let value = read()
        values[path] = value
        return value
    }
}

extension Company where SecretValue == SecretReference {
    /// Every reference, in the order of `mapSecrets` (the walk resolution takes).
    public var secretReferences: [SecretReference] {
        var out: [SecretReference] = []
        _ = mapSecrets { _, reference -> Int in
            out.append(reference)
            return 0
        }
        return out
    }
}

import Foundation

public enum Mode: String, Sendable, Codable {
    case saas
    case onPremise = "on-premise"
}

/// The workspace settings (`mailform.yaml`), with defaults filled in and paths
/// made absolute.
public struct Workspace: Sendable {
    /// The folder of the workspace file (or the current folder when there is none).
    public var root: String
    /// The workspace file as the user should see it, when there is one.
    public var file: String?
    /// The trusted workspace file the settings came from, when one was given.
    public var trustedFile: String?
    public var mode: Mode = .saas
    /// The store path from `store:`, absolute; `nil` when the file does not set it.
    public var storePath: String?
    public var profilesDirectory: String
    public var probeTimeoutMilliseconds = 10_000
    public var probeConcurrency = 64
    public var probeProxy: String?
    public var probeCAFile: String?
    /// `probe.dns.servers`: resolvers as host:port; empty = the system's.
    public var dnsServers: [String] = []
    public var dnsTimeoutMilliseconds = 3_000
    /// `platform.spf_include`: what a platform company's SPF must include.
    public var platformSPFInclude: String?
    /// Glob patterns of the environment variables `${env:}` may read;
    /// `{company}` and `{profile}` stand for the referencing file's owner.
    public var secretEnvPatterns = Workspace.defaultSecretEnvPatterns
    public static let defaultSecretEnvPatterns = ["MAILFORM_{company}_*", "MAILFORM_{profile}_*"]
    /// The store, its side files and key (absolute): never readable as a
    /// company file or through a reference.
    public var protectedFiles: [String] = []
    /// The folders company files were named from when there is no workspace
    /// file (the current folder, and each path argument).
    public var extraRoots: [String] = []
    /// Folders outside the workspace that `${file:}` may read, absolute.
    public var secretDirectories: [String] = []
    public var maxDeletes = 5
    public var maxChangedPercent = 30.0

    public init(root: String) {
        self.root = root
        self.profilesDirectory = (root as NSString).appendingPathComponent("profiles")
    }

    /// Where a hint tells a user to keep a secret file: the workspace's
    /// `secrets/` folder (what `mailform init` makes), else the first of
    /// `secrets.dirs` when the workspace has no such folder.
    public var suggestedSecretsFolder: String {
        let own = (root as NSString).appendingPathComponent("secrets")
        if !Paths.isDirectory(own), let first = secretDirectories.first { return first }
        return own
    }

    /// The real (symlink-resolved) folders `${file:}` may read: the workspace and `secrets.dirs`.
    public var fenceFolders: [String] { ([root] + secretDirectories).map(Paths.real) }

    /// Which files may be read as company, profile or workspace files.
    public var fence: WorkspaceFence {
        WorkspaceFence(roots: [root] + extraRoots, protectedFiles: protectedFiles, secretFolders: secretDirectories)
    }

    /// Whether `${env:name}`, written in a file of `owner`, is inside the fence.
    /// A pattern with `{company}` applies to company files only, one with
    /// `{profile}` to profile files only. A name that a longer id among
    /// `owners` (every company and profile known to the run) claims belongs to
    /// that owner: `MAILFORM_{company}_*` for company `a` does not reach
    /// `MAILFORM_A_B_SMTP_PASSWORD` when company `a-b` exists.
    public func allowsEnv(_ name: String, owner: SecretOwner, owners: Set<String> = []) -> Bool {
        if StoreLocation.protectedVariables.contains(name) { return false }
        for pattern in secretEnvPatterns {
            var expanded = pattern
            var ownerForm: String?
            if pattern.contains("{company}") {
                guard case .company(let id) = owner else { continue }
                ownerForm = SecretOwner.envForm(id)
                expanded = expanded.replacingOccurrences(of: "{company}", with: ownerForm!)
            }
            if pattern.contains("{profile}") {
                guard case .profile(let profile) = owner else { continue }
                ownerForm = SecretOwner.envForm(profile)
                expanded = expanded.replacingOccurrences(of: "{profile}", with: ownerForm!)
            }
            guard Glob.matches(pattern: expanded, name) else { continue }
            if let ownerForm, let prefixEnd = pattern.range(of: "{")?.lowerBound {
                // The text before the placeholder, then the owner: another
                // owner whose longer form also fits here claims the name.
                let lead = String(pattern[..<prefixEnd])
                if Self.claimedByLongerOwner(name, lead: lead, owner: ownerForm, owners: owners) { continue }
            }
            return true
        }
        return false
    }
}

extension Workspace {
    /// Whether another owner, `owner_…`, fits `name` as `lead` + it + `_`.
    /// The candidates are read off the name (each `_` after `lead` + `owner`
    /// + `_` ends one), so the cost follows the name, not the number of
    /// owners: scanning every owner for every reference made a plan of
    /// 100,000 exported companies quadratic.
    static func claimedByLongerOwner(_ name: String, lead: String, owner: String, owners: Set<String>) -> Bool {
        let bytes = Array(name.utf8)
        let start = lead.utf8.count + owner.utf8.count + 1
        guard bytes.count > start, name.hasPrefix(lead + owner + "_") else { return false }
        for end in start..<bytes.count where bytes[end] == 0x5F {
            let candidate = String(decoding: bytes[lead.utf8.count..<end], as: UTF8.self)
            if owners.contains(candidate) { return true }
        }
        return false
    }
}

/// The file a secret reference is written in: a company file or a profile.
public enum SecretOwner: Sendable, Equatable {
    case company(String)
    case profile(String)

    /// `acme-eu` → `ACME_EU`, the form ids take in variable names.
    public static func envForm(_ id: String) -> String {
        String(id.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}

/// `*` wildcards, as in `MAILFORM_*` and `--company 'acme-*'`.
public enum Glob {
    public static func matches(pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

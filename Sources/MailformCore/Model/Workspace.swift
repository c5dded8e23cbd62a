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
    /// `probe.deadline`: the whole probe's time. 5 minutes: at the default
    /// concurrency (64) and timeout (10 s), about 1,900 silent endpoints fit;
    /// past it a run fails closed rather than holding CI for hours.
    public var probeDeadlineMilliseconds = 300_000
    /// `probe.ehlo`: the name the probe greets servers with.
    public var probeEHLOName = "mailform.invalid"
    public var probeProxy: String?
    public var probeCAFile: String?
    /// `probe.cert_warning_days`: warn of certificates expiring this soon.
    public var certWarningDays = 21
    /// `probe.bulk_sender`: check the bulk-sender rules (off by default).
    public var bulkSender = false
    /// `probe.require_mta_sts`: a domain without MTA-STS is a warning (off by default).
    public var requireMTASTS = false
    /// `probe.dns.servers`: resolvers as host:port; empty = the system's.
    public var dnsServers: [String] = []
    public var dnsTimeoutMilliseconds = 3_000
    /// `platform.spf_include`: what a platform company's SPF must include.
    public var platformSPFInclude: String?
    /// `platform.mail_client`: the platform's mail library and JVM flags (the probe's verdict is its verdict).
    public var platformClient = PlatformClient()
    /// `platform.mail_client.ca_bundle`: the PEM bundle of the CAs the
    /// platform's JVM trusts (its trust store); the probe trusts exactly these.
    public var platformCABundle: String?
    /// Glob patterns of the environment variables `${env:}` may read;
    /// `{company}` and `{profile}` stand for the referencing file's owner.
    public var secretEnvPatterns = Workspace.defaultSecretEnvPatterns
    ///
    /// The default is injective: company `acme` reads `MAILFORM_ACME__*`,
    /// profile `relay` reads `MAILFORM__RELAY__*`. An id's form holds no
    /// `__` and does not end in `_` (ids with `--` or a trailing `-` get no
    /// variables by default), so the first `__` after `MAILFORM_` ends the
    /// owner: no two owners can match one name, whatever their ids
    /// (`acme`, `acme-smtp`, `a`, `a-b`), and a profile's names never look
    /// like a company's.
    public static let defaultSecretEnvPatterns = ["MAILFORM_{company}__*", "MAILFORM__{profile}__*"]
    /// `secrets.dirs_reach`: `own` (default) lets a company read only
    /// `DIR/<company id>/…` of each `secrets.dirs` folder, and a profile only
    /// `DIR/_<profile>/…`; `all` lets every company read every file there.
    public var secretDirsReachAll = false
    /// `secrets.shared`: references (as plans show them: `${file:secrets/relay.txt}`,
    /// `${env:NAME}`) that several companies may use. Every other secret
    /// belongs to one company (or to a profile, shared by the companies that
    /// extend it).
    public var sharedSecrets: Set<String> = []

    /// Whether the secret fences are wider than the default (shown to reviewers).
    public var hasWideSecretFence: Bool { secretEnvPatterns != Self.defaultSecretEnvPatterns || secretDirsReachAll }
    /// The store, its side files and key (absolute): never readable as a
    /// company file or through a reference.
    public var protectedFiles: [String] = []
    /// The folders company files were named from when there is no workspace
    /// file (the current folder, and each path argument).
    public var extraRoots: [String] = []
    /// Folders outside the workspace that `${file:}` may read, absolute.
    public var secretDirectories: [String] = []
    /// With a trusted workspace file: the settings the workspace's own file
    /// sets otherwise (a pull request's change to trusted settings, shown to
    /// reviewers; it takes effect only after merge).
    public var trustedChanges: [String] = []
    /// `sha256:` of the settings in effect (the trusted workspace file's, or
    /// the workspace's own; "none" without a file), in a canonical form:
    /// part of the reviewed change set, so a merge that changes them (a proxy,
    /// a CA, a fence) makes its change set be planned again under them.
    public var settingsDigest = "none"
    public var maxDeletes = 5
    public var maxChangedPercent = 30.0
    /// `safety.min_existing`: the percentage limit applies only to a store
    /// holding at least this many companies.
    public var minExistingForPercent = 10
    /// `policy.waivable`: the rules a company file may waive for itself.
    public var waivableRules: Set<String> = []

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
        frozenFence ?? WorkspaceFence(roots: [root] + extraRoots, protectedFiles: protectedFiles, secretFolders: secretDirectories)
    }

    /// The fence made once for the files of one load (`CompanyLoader`):
    /// made per use it cost 5 `stat`s and the roots' `realpath` per file.
    /// Never leaves the loader (a key file made later must be seen).
    var frozenFence: WorkspaceFence?

    /// This workspace with its fence made now, for many reads in a row.
    func withFrozenFence() -> Workspace {
        var copy = self
        copy.frozenFence = fence
        return copy
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
            let injective = Self.defaultSecretEnvPatterns.contains(pattern)
            if pattern.contains("{company}") {
                guard case .company(let id) = owner else { continue }
                ownerForm = SecretOwner.envForm(id)
                // A form that could run into the separator reaches nothing.
                if injective && !SecretOwner.isInjectiveForm(id) { continue }
                expanded = expanded.replacingOccurrences(of: "{company}", with: ownerForm!)
            }
            if pattern.contains("{profile}") {
                guard case .profile(let profile) = owner else { continue }
                ownerForm = SecretOwner.envForm(profile)
                // Profile names with '_' or capitals share an env form with another name.
                if injective && (profile.contains("_") || profile != profile.lowercased() || !SecretOwner.isInjectiveForm(profile)) { continue }
                expanded = expanded.replacingOccurrences(of: "{profile}", with: ownerForm!)
            }
            guard Glob.matches(pattern: expanded, name) else { continue }
            if !injective, let ownerForm, let prefixEnd = pattern.range(of: "{")?.lowerBound {
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

    /// Whether an id's form can stand before the `__` separator of the
    /// default fence: no `--` (it would read as the separator) and no
    /// trailing `-`.
    public static func isInjectiveForm(_ id: String) -> Bool {
        !id.isEmpty && !id.contains("--") && !id.hasSuffix("-") && !id.hasPrefix("-")
    }

    /// "company" or "profile".
    public var kindName: String {
        switch self {
        case .company: "company"
        case .profile: "profile"
        }
    }

    /// The variable prefix this owner reads under the default fence, if any.
    public var defaultEnvPrefix: String? {
        switch self {
        case .company(let id): SecretOwner.isInjectiveForm(id) ? "MAILFORM_\(SecretOwner.envForm(id))__" : nil
        case .profile(let name): SecretOwner.isInjectiveForm(name) && !name.contains("_") && name == name.lowercased() ? "MAILFORM__\(SecretOwner.envForm(name))__" : nil
        }
    }

    /// The folder of a `secrets.dirs` folder this owner reads (`secrets.dirs_reach: own`).
    public var secretFolderName: String {
        switch self {
        case .company(let id): id
        case .profile(let name): "_" + name
        }
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

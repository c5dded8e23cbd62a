import Foundation
import JSONSchema

/// Finds and reads `mailform.yaml`.
///
/// On a pull request the workspace file is the PR author's to edit, and it
/// holds trust settings: where the store is, the probe's proxy and CA file,
/// the secret fences, the policy mode, the safety limits. With a *trusted*
/// workspace file (`--trusted-workspace`, `MAILFORM_TRUSTED_WORKSPACE`: the
/// base branch's copy, or one the CI provides), every setting comes from that
/// file; the workspace's own file is still validated, and where it differs a
/// warning says its settings were ignored.
public enum WorkspaceLoader {
    public static let fileNames = ["mailform.yaml", "mailform.yml"]

    /// The workspace file named by `--workspace`, or found by walking up from
    /// the first path; `nil` when there is none (defaults apply).
    public static func find(paths: [String], override: String?) -> String? {
        if let override {
            let absolute = Paths.absolute(override)
            if Paths.isDirectory(absolute) {
                return fileNames.map { (absolute as NSString).appendingPathComponent($0) }.first(where: Paths.exists)
                    ?? (absolute as NSString).appendingPathComponent("mailform.yaml")
            }
            return absolute
        }
        var dir = Paths.absolute(paths.first ?? ".")
        if !Paths.isDirectory(dir) { dir = Paths.directory(of: dir) }
        while true {
            for name in fileNames {
                let candidate = (dir as NSString).appendingPathComponent(name)
                if Paths.exists(candidate) { return candidate }
            }
            let parent = Paths.directory(of: dir)
            if parent == dir || parent.isEmpty { return nil }
            dir = parent
        }
    }

    /// What decides the workspace besides its file.
    public struct Options: Sendable {
        /// A trusted workspace file whose settings replace the workspace's own.
        public var trusted: String?
        /// `--store`, which overrides the store location (and so the protected files).
        public var storeFlag: String?
        public var environment: [String: String]
        /// Path arguments: with no workspace file, files may come from below them.
        public var paths: [String]
        /// The workspace root when there is no workspace file and a trusted one
        /// is given (the folder the operator named).
        public var root: String?

        public init(trusted: String? = nil, storeFlag: String? = nil, paths: [String] = [],
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            // Set but empty is an error (as --trusted-workspace ""), never
            // "no trusted file": a CI variable that expanded to nothing must
            // not hand the pull request's own settings the trust.
            self.trusted = trusted ?? environment["MAILFORM_TRUSTED_WORKSPACE"]
            self.storeFlag = storeFlag
            self.environment = environment
            self.paths = paths
        }
    }

    /// Reads and checks the workspace file; problems go to `diagnostics`.
    public static func load(file: String?, files: SourceFiles, diagnostics: inout DiagnosticCollector,
                            options: Options = Options()) -> Workspace {
        let root = file.map(Paths.directory(of:)) ?? options.root ?? Paths.currentDirectory
        var workspace = Workspace(root: root)
        var ownTree: JSONNode?
        if let file {
            let source = files.add(absolutePath: file)
            workspace.file = files.path(source)
            ownTree = readChecked(file, source: source, files: files, root: root, fenced: true, diagnostics: &diagnostics)
            if let ownTree {
                apply(ownTree, to: &workspace, files: files, diagnostics: &diagnostics)
                workspace.settingsDigest = settingsDigest(ownTree.value)
            }
        } else if options.root != nil {
            diagnostics.report(.warning("no mailform.yaml in \(Paths.display(root)); the settings come from the trusted workspace file",
                                        at: nil, hint: "a pull request that removes the workspace file changes nothing; keep mailform.yaml in the workspace",
                                        rule: "trusted-workspace"))
        } else {
            // No workspace file: files may come from the current folder and from
            // below the folders named on the command line.
            workspace.extraRoots = options.paths.map { path in
                let absolute = Paths.absolute(path)
                return Paths.isDirectory(absolute) ? absolute : Paths.directory(of: absolute)
            }
        }
        if let trusted = options.trusted {
            let path = Paths.absolute(trusted)
            let source = files.add(absolutePath: path)
            if let trustedTree = readChecked(path, source: source, files: files, root: root, fenced: false, diagnostics: &diagnostics) {
                var fromTrusted = Workspace(root: root)
                fromTrusted.file = workspace.file
                fromTrusted.trustedFile = files.path(source)
                fromTrusted.settingsDigest = settingsDigest(trustedTree.value)
                fromTrusted.extraRoots = workspace.extraRoots
                apply(trustedTree, to: &fromTrusted, files: files, diagnostics: &diagnostics)
                // A relative CA file would be read from the pull request's checkout.
                for (node, name) in [(trustedTree["probe"]?["ca_file"], "probe.ca_file"), (trustedTree["platform"]?["mail_client"]?["ca_bundle"], "platform.mail_client.ca_bundle")] {
                    guard let node, let text = node.value.stringValue, !text.hasPrefix("/") else { continue }
                    diagnostics.report(.error("\(name) of a trusted workspace file must be an absolute path", at: files.location(node.mark),
                                              hint: "a relative path would be read from the pull request's checkout; give the CA file's absolute path on the CI machine",
                                              rule: "trusted-workspace"))
                }
                if let ownTree, !(ownTree.value == trustedTree.value) {
                    fromTrusted.trustedChanges = Self.differingSettings(ownTree.value, trustedTree.value)
                    let shown = fromTrusted.trustedChanges.prefix(20).joined(separator: ", ")
                        + (fromTrusted.trustedChanges.count > 20 ? " and \(fromTrusted.trustedChanges.count - 20) more" : "")
                    diagnostics.report(.warning(
                        "this workspace file differs from the trusted workspace file \(files.path(source)) in \(shown); its settings are ignored in this run",
                        at: files.location(ownTree.mark), hint: "changes to mailform.yaml take effect once merged", rule: "trusted-workspace"))
                }
                workspace = fromTrusted
            }
        }
        let store = StoreLocation.resolve(flag: options.storeFlag, workspace: workspace, environment: options.environment)
        workspace.protectedFiles = StoreLocation.protectedFiles(forStore: store)
        return workspace
    }

    /// `sha256:` of a workspace file's settings in a canonical form (keys
    /// sorted, values typed): the same settings give the same digest
    /// whatever the comments, order or quoting.
    static func settingsDigest(_ value: JSONValue) -> String {
        func canonical(_ v: JSONValue) -> String {
            switch v {
            case .null: return "n"
            case .bool(let b): return b ? "t" : "f"
            case .integer(let i): return "i\(i);"
            case .number(let d): return "d\(d);"
            case .string(let s): return "s\(s.utf8.count):\(s)"
            case .array(let items): return "[" + items.map { canonical($0.value) }.joined(separator: ",") + "]"
            case .object(let members):
                return "{" + members.sorted { $0.key < $1.key }.map { "k\($0.key.utf8.count):\($0.key)=" + canonical($0.value.value) }
                    .joined(separator: ",") + "}"
            }
        }
        return "sha256:" + Digest.sha256Hex(canonical(value))
    }

    /// The settings (dotted paths: `probe.proxy`, `secrets.env`) whose
    /// values differ between two workspace files, sorted; at most 200.
    static func differingSettings(_ a: JSONValue, _ b: JSONValue) -> [String] {
        var out = Set<String>()
        func walk(_ a: JSONValue?, _ b: JSONValue?, _ path: String) {
            guard out.count < 200 else { return }
            if let am = a?.members ?? (a == nil ? [] : nil), let bm = b?.members ?? (b == nil ? [] : nil), a?.members != nil || b?.members != nil {
                var keys: [String] = []
                for m in am + bm where !keys.contains(m.key) { keys.append(m.key) }
                for key in keys.prefix(200) {
                    walk(am.first { $0.key == key }?.value.value, bm.first { $0.key == key }?.value.value,
                         path.isEmpty ? key : path + "." + key)
                }
                return
            }
            let same: Bool
            switch (a, b) {
            case let (x?, y?): same = x == y
            case (nil, nil): same = true
            default: same = false
            }
            if !same { out.insert(path.isEmpty ? "(the whole file)" : String(path.prefix(200))) }
        }
        walk(a, b, "")
        return out.sorted()
    }

    /// Reads a workspace file and checks it against the schema.
    static func readChecked(_ file: String, source: Int, files: SourceFiles, root: String, fenced: Bool,
                            diagnostics: inout DiagnosticCollector) -> JSONNode? {
        guard Paths.exists(file) || isLink(file) else {
            diagnostics.report(.error("workspace file '\(Paths.display(file))' does not exist", at: nil,
                                      hint: "create it with 'mode: saas', or drop --workspace"))
            return nil
        }
        // The workspace file itself must be a regular file in its own folder.
        let fence = fenced ? WorkspaceFence(roots: [root], protectedFiles: [], secretFolders: []) : nil
        switch YAMLFile.read(file, source: source, files: files, fence: fence, requireYAML: false) {
        case .failure(let diagnostic):
            diagnostics.report(diagnostic)
            return nil
        case .success(let tree):
            let violations = SchemaCatalog.workspace.validate(tree)
            if !violations.isEmpty {
                diagnostics.report(contentsOf: SchemaDiagnostics(files: files, schema: SchemaCatalog.workspaceJSON)
                    .diagnostics(for: violations, companyID: nil))
                return nil
            }
            return tree
        }
    }

    static func isLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    /// Copies the settings of a schema-valid tree into `workspace`; relative
    /// paths are taken from the workspace root.
    static func apply(_ tree: JSONNode, to workspace: inout Workspace, files: SourceFiles, diagnostics: inout DiagnosticCollector) {
        let root = workspace.root
        if let mode = tree["mode"]?.value.stringValue.flatMap(Mode.init(rawValue:)) { workspace.mode = mode }
        if let store = tree["store"]?.value.stringValue {
            workspace.storePath = StoreLocation.isURL(store) ? store : Paths.absolute(store, relativeTo: root)
        }
        if let profiles = tree["profiles"]?.value.stringValue { workspace.profilesDirectory = Paths.absolute(profiles, relativeTo: root) }
        if let probe = tree["probe"] {
            if let node = probe["timeout"], let timeout = node.value.stringValue {
                switch Duration.parse(timeout) {
                case .success(let ms): workspace.probeTimeoutMilliseconds = ms
                case .failure(let problem):
                    diagnostics.report(.error("probe.timeout \(problem.message)", at: files.location(node.mark), hint: problem.hint))
                }
            }
            if let node = probe["deadline"], let text = node.value.stringValue {
                switch Duration.parse(text) {
                case .success(let ms): workspace.probeDeadlineMilliseconds = ms
                case .failure(let problem):
                    diagnostics.report(.error("probe.deadline \(problem.message)", at: files.location(node.mark), hint: problem.hint))
                }
            }
            if let ehlo = probe["ehlo"]?.value.stringValue { workspace.probeEHLOName = ehlo }
            if case .integer(let c)? = probe["concurrency"]?.value { workspace.probeConcurrency = c }
            if case .bool(let on)? = probe["bulk_sender"]?.value { workspace.bulkSender = on }
            if case .bool(let on)? = probe["require_mta_sts"]?.value { workspace.requireMTASTS = on }
            if case .integer(let days)? = probe["cert_warning_days"]?.value { workspace.certWarningDays = days }
            workspace.probeProxy = probe["proxy"]?.value.stringValue
            workspace.probeCAFile = probe["ca_file"]?.value.stringValue.map { Paths.absolute($0, relativeTo: root) }
            if let dns = probe["dns"] {
                workspace.dnsServers = dns["servers"]?.value.elements?.compactMap { $0.value.stringValue } ?? []
                if let node = dns["timeout"], let text = node.value.stringValue {
                    switch Duration.parse(text) {
                    case .success(let ms): workspace.dnsTimeoutMilliseconds = ms
                    case .failure(let problem):
                        diagnostics.report(.error("probe.dns.timeout \(problem.message)", at: files.location(node.mark), hint: problem.hint))
                    }
                }
            }
        }
        if let secrets = tree["secrets"] {
            if let env = secrets["env"]?.value.elements { workspace.secretEnvPatterns = env.compactMap { $0.value.stringValue } }
            workspace.secretDirsReachAll = secrets["dirs_reach"]?.value.stringValue == "all"
            workspace.sharedSecrets = Set(secrets["shared"]?.value.elements?.compactMap { node -> String? in
                guard let text = node.value.stringValue, let reference = SecretReference(parsing: text) else { return nil }
                // Written relative to the workspace file; compared as plans show references.
                return reference.canonical(origin: root + "/mailform.yaml", workspaceRoot: root)
            } ?? [])
            if workspace.hasWideSecretFence {
                diagnostics.report(.warning(
                    "the secret fences are wider than the default (\(workspace.secretEnvPatterns.joined(separator: ", "))\(workspace.secretDirsReachAll ? "; secrets.dirs_reach: all" : "")): a company may read variables or files that belong to another",
                    at: files.location(secrets.mark),
                    hint: "keep the default (each company reads only MAILFORM_<ID>__* and its own subfolder of secrets.dirs) unless companies must share secrets",
                    rule: "secret-fence-wide"))
            }
            if let dirs = secrets["dirs"]?.value.elements {
                workspace.secretDirectories = dirs.compactMap { $0.value.stringValue }.map { Paths.absolute($0, relativeTo: root) }
            }
        }
        workspace.platformSPFInclude = tree["platform"]?["spf_include"]?.value.stringValue?.lowercased()
        if let client = tree["platform"]?["mail_client"] {
            if let library = client["library"]?.value.stringValue.flatMap(PlatformClient.Library.init(rawValue:)) { workspace.platformClient.library = library }
            if case .bool(let flag)? = client["java_add_exports"]?.value { workspace.platformClient.javaAddExports = flag }
            workspace.platformCABundle = client["ca_bundle"]?.value.stringValue.map { Paths.absolute($0, relativeTo: root) }
        }
        if let waivable = tree["policy"]?["waivable"]?.value.elements {
            let known = Waivers.knownRules
            for node in waivable {
                guard let rule = node.value.stringValue else { continue }
                if known.contains(rule) {
                    workspace.waivableRules.insert(rule)
                } else {
                    diagnostics.report(.error("policy.waivable: '\(SafeText.escape(rule))' is not a policy rule id", at: files.location(node.mark),
                                              hint: DidYouMean.closest(to: rule, among: known).map { "did you mean '\($0)'?" }
                                                  ?? "name rules as diagnostics show them in brackets", rule: Waivers.ruleID))
                }
            }
        }
        if let safety = tree["safety"] {
            if case .integer(let n)? = safety["max_deletes"]?.value { workspace.maxDeletes = n }
            if let p = safety["max_changed_percent"]?.value.doubleValue { workspace.maxChangedPercent = p }
            if case .integer(let n)? = safety["min_existing"]?.value { workspace.minExistingForPercent = n }
        }
    }
}

/// Reads a YAML file from disk into a located tree, or one diagnostic.
enum YAMLFile {
    /// - Parameters:
    ///   - fence: when set, the file must be admitted by it (company, profile
    ///     and workspace files); `nil` for files the operator named (a trusted
    ///     workspace file).
    static func read(_ path: String, source: Int, files: SourceFiles, fence: WorkspaceFence?,
                     requireYAML: Bool = true) -> Result<JSONNode, Diagnostic> {
        let start = files.start(of: source)
        var real = Paths.real(path)
        if let fence {
            switch fence.admit(path, requireYAML: requireYAML) {
            case .success(let admitted): real = admitted
            case .failure(let refusal): return .failure(.error(refusal.message, at: start, hint: refusal.hint, rule: "workspace-files"))
            }
        }
        let bytes: [UInt8]
        switch SafeFile.read(real, limit: YAMLLoader.maxFileSize) {
        case .success(let read): bytes = read
        case .failure(.tooLarge(let size, _)):
            return .failure(.error("file is \(size) bytes, over the 1 MiB limit", at: start,
                                   hint: "company files are a few hundred bytes; check that this is the right file"))
        case .failure(let problem):
            return .failure(.error("file \(problem.message)", at: start, hint: "company, profile and workspace files must be regular, readable files"))
        }
        switch YAMLLoader(source: source).load(bytes) {
        case .success(let node):
            return .success(node)
        case .failure(let failure):
            var diagnostic = Diagnostic.error(failure.message, at: files.location(failure.mark), hint: failure.hint, rule: failure.rule)
            if let (mark, message) = failure.related, let location = files.location(mark) {
                diagnostic.related.append(.init(location: location, message: message))
            }
            return .failure(diagnostic)
        }
    }
}

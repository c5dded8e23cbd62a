import Foundation
import JSONSchema

/// A company file that passed loading, the schema and the policy.
public struct LoadedCompany: Sendable {
    public var company: Company<SecretReference>
    /// Positions later stages point at: `company`, and each endpoint's host
    /// (`smtp.host`, `smtp_pools.NAME.servers[I].host`, `mailgun.domain`: a provider's fields).
    /// The whole tree is not kept: at 100,000 companies it would dominate memory.
    public var marks: [String: Mark]
    /// Absolute path of the company file.
    public var path: String
    public var source: Int

    /// Where a field is written, or its nearest section that is
    /// (`smtp.oauth2.tenant` → `smtp.oauth2` → `smtp`): a default is shown at
    /// the section it belongs to.
    public func mark(_ path: String) -> Mark? {
        var key = Substring(path)
        while true {
            if let mark = marks[String(key)] { return mark }
            guard let dot = key.lastIndex(of: ".") else { return nil }
            key = key[..<dot]
        }
    }
}

/// The result of loading a set of paths: the workspace, the companies that are
/// valid, and every diagnostic of every file.
public struct LoadResult: Sendable {
    public var workspace: Workspace
    public var companies: [LoadedCompany]
    public var diagnostics: DiagnosticCollector
    public var fileCount: Int
    public let files: SourceFiles
    /// The env forms of every company id and profile name the run saw, for
    /// the `{company}` fence.
    public var owners: Set<String> = []
    /// The env forms of the company ids alone.
    public var companyOwners: Set<String> = []
    /// How many companies passed loading, the schema, the policy and the
    /// fences (in batches, `companies` is empty).
    public var validCount = 0
}

/// load → validate: reads company files (in parallel), merges profiles, checks
/// schema and policy, and reports every problem of every file at once.
public enum CompanyLoader {
    /// - Parameters:
    ///   - options: the trusted workspace file, `--store` and the environment.
    ///   - onWorkspace: called once the workspace is known, before the company
    ///     files are read (a plan starts reading the store meanwhile).
    ///   - batching: hand the companies over batch by batch instead of
    ///     returning them.
    public static func load(paths: [String], workspaceOverride: String? = nil,
                            options: WorkspaceLoader.Options = WorkspaceLoader.Options(),
                            onWorkspace: ((Workspace) -> Void)? = nil, batching: Batching? = nil) -> LoadResult {
        let files = SourceFiles()
        var diagnostics = DiagnosticCollector()
        var workspaceOptions = options
        workspaceOptions.paths = paths.isEmpty ? ["."] : paths
        let workspaceFile: String?
        if options.trusted != nil && workspaceOverride == nil {
            // With a trusted workspace file the root is never found above the
            // current folder: a pull request that deletes tenants/mailform.yaml
            // must not move the root up to the checkout or beyond it. The walk
            // goes from the named path up to the current folder; without a
            // workspace file there, the named folder is the root.
            let first = Paths.absolute(workspaceOptions.paths[0])
            var dir = Paths.isDirectory(first) ? first : Paths.directory(of: first)
            let named = dir
            let stop = Paths.currentDirectory
            var found: String?
            while found == nil {
                found = WorkspaceLoader.fileNames.map { (dir as NSString).appendingPathComponent($0) }
                    .first { Paths.exists($0) || WorkspaceLoader.isLink($0) }
                if found != nil || dir == stop || !Paths.isInside(dir, stop) { break }
                dir = Paths.directory(of: dir)
            }
            workspaceOptions.root = named
            workspaceFile = found
        } else {
            workspaceFile = WorkspaceLoader.find(paths: paths, override: workspaceOverride)
        }
        let workspace = WorkspaceLoader.load(file: workspaceFile, files: files, diagnostics: &diagnostics, options: workspaceOptions)
        if !diagnostics.hasErrors { onWorkspace?(workspace) }

        var requested = paths.isEmpty ? ["."] : paths
        if options.trusted != nil {
            // With a trusted workspace file the paths come from the CI
            // workflow, but their contents from the pull request: a path the
            // request turned into a link (tenants -> ../elsewhere, or -> /)
            // would move the fence to wherever it points.
            let checkout = Paths.real(Paths.currentDirectory)
            requested = requested.filter { path in
                // A path the workflow names outside the checkout is its own choice.
                guard Paths.isInside(Paths.absolute(path), Paths.currentDirectory) else { return true }
                let real = Paths.real(Paths.absolute(path))
                guard !Paths.isInside(real, checkout) else { return true }
                diagnostics.report(.error("path '\(SafeText.escape(path))' leads outside the current folder (to \(SafeText.escape(real))) through a symbolic link",
                                          at: nil, hint: "with --trusted-workspace, pass folders of the checkout that are not links; a pull request may not move them",
                                          rule: "workspace-files"))
                return false
            }
        }
        let companyPaths = expand(requested, workspace: workspace, diagnostics: &diagnostics)
        // One fence for every file read here (not one per file).
        let reading = workspace.withFrozenFence()
        let profiles = ProfileSet(workspace: reading, files: files)
        let sources = companyPaths.map { files.add(absolutePath: $0) }

        var companies: [LoadedCompany] = []
        var firstByID: [String: Mark] = [:]
        var seen = Set<String>()
        let profileOwners = Set(profiles.names.map(SecretOwner.envForm))
        // Batches: each company's owners and references, for the final check.
        var companyOwners = Set<String>()
        var batchOwners = profileOwners
        var extraOwners: Set<String>?
        var envReferences: [(id: String, path: String, references: [SecretReference])] = []
        let batchSize = max(batching?.size ?? companyPaths.count, 1)
        var pending: [[LoadedCompany]] = []
        var validCount = 0
        var refused = Set<String>()
        // A batch is checked against the owners known so far; more owners
        // only refuse more, so the final check below (every owner) is the
        // one that counts, and a run it fails writes nothing.
        func deliver(_ loaded: [LoadedCompany]) {
            guard let batching else { return }
            var batch = loaded
            batch.sort { $0.company.id < $1.company.id }
            // Every company's env references, refused or not, for the check
            // with every owner: it reports what this one cannot know yet.
            for loaded in batch {
                let references = loaded.company.secretReferences.filter { if case .env = $0.kind { true } else { false } }
                if !references.isEmpty { envReferences.append((loaded.company.id, loaded.path, references)) }
            }
            let checked = batch.count
            check(&batch, owners: batchOwners, companyOwners: companyOwners, ownersIncludeCompanies: true, workspace: workspace, files: files,
                  seen: &seen, diagnostics: &diagnostics)
            if batch.count < checked { refused.formUnion(Set(loaded.map(\.company.id)).subtracting(batch.map(\.company.id))) }
            validCount += batch.count
            guard !diagnostics.hasErrors else { return }
            // On this thread: a batch consumed on its own thread while the
            // next loads held one more batch, and with logos of their own
            // that put plan --out of 100,000 changed companies at 427 MB.
            batching.consume(batch, BatchContext(workspace: workspace, files: files, owners: batchOwners, companyOwners: companyOwners))
        }
        for start in stride(from: 0, to: companyPaths.count, by: batchSize) {
            let end = min(start + batchSize, companyPaths.count)
            let slots = OutcomeSlots(count: end - start)
            DispatchQueue.concurrentPerform(iterations: end - start) { i in
                slots.set(i, loadOne(path: companyPaths[start + i], source: sources[start + i], workspace: reading, profiles: profiles,
                                     files: files))
            }
            var batch: [LoadedCompany] = []
            for outcome in slots.values {
                for diagnostic in outcome.diagnostics {
                    // A bad profile would otherwise be reported once per company using it.
                    let key = "\(diagnostic.location?.description ?? "")|\(diagnostic.message)"
                    if seen.insert(key).inserted { diagnostics.report(diagnostic) }
                }
                // Duplicate ids are found among all files that name one, valid or not.
                guard let (id, mark) = outcome.id else { continue }
                if let first = firstByID[id] {
                    var diagnostic = Diagnostic.error("company id '\(id)' is already used by \(files.location(first)?.file ?? "another file")",
                                                      at: files.location(mark), hint: "give each company a unique 'company:' id")
                    if let location = files.location(first) {
                        diagnostic.related.append(.init(location: location, message: "first use of '\(id)'"))
                    }
                    diagnostics.report(diagnostic)
                    continue
                }
                firstByID[id] = mark
                if batching != nil {
                    let owner = SecretOwner.envForm(id)
                    companyOwners.insert(owner)
                    batchOwners.insert(owner)
                }
                if let loaded = outcome.company { batch.append(loaded) }
            }
            guard let batching else {
                companies += batch
                continue
            }
            // The batches loaded before the extra owners are known wait for
            // them (a few, so loading overlaps the store's read).
            if extraOwners == nil {
                guard let extra = batching.extraOwners(pending.count >= batching.maxWaiting) else {
                    pending.append(batch)
                    continue
                }
                extraOwners = extra
                companyOwners.formUnion(extra)
                batchOwners.formUnion(extra)
            }
            for waiting in pending + [batch] { deliver(waiting) }
            pending = []
        }
        if let batching, !pending.isEmpty {
            let extra = batching.extraOwners(true) ?? []
            companyOwners.formUnion(extra)
            batchOwners.formUnion(extra)
            for waiting in pending { deliver(waiting) }
        }
        // The env fence needs every owner of the run: a company may not read a
        // variable that a longer company id (or a profile) claims.
        let fileOwners = Set(firstByID.keys.map(SecretOwner.envForm))
        let owners = fileOwners.union(profileOwners)
        if batching == nil {
            companies.sort { $0.company.id < $1.company.id }
            check(&companies, owners: owners, companyOwners: fileOwners, workspace: workspace, files: files, seen: &seen,
                  diagnostics: &diagnostics)
        } else {
            let fence = SecretResolver(workspace: workspace, environment: [:], owners: batchOwners, companyOwners: companyOwners,
                                       ownersIncludeCompanies: true)
            for (id, path, references) in envReferences {
                let found = fence.fenceDiagnostics(references, company: id, companyFile: path, files: files)
                for diagnostic in found {
                    let key = "\(diagnostic.location?.description ?? "")|\(diagnostic.message)"
                    if seen.insert(key).inserted { diagnostics.report(diagnostic) }
                }
                if !found.isEmpty && refused.insert(id).inserted { validCount -= 1 }
            }
        }
        var result = LoadResult(workspace: workspace, companies: companies, diagnostics: diagnostics,
                                fileCount: companyPaths.count, files: files, owners: owners, companyOwners: fileOwners)
        result.validCount = batching == nil ? companies.count : validCount
        return result
    }

    /// Loading in batches, for runs whose memory must follow the batch, not
    /// the workspace (plan and apply of 100,000 companies).
    public struct Batching {
        public var size: Int
        /// The env forms of owners beyond the files' (the store's company
        /// ids), needed before the first batch is fenced: nil while they are
        /// not known yet, unless asked to wait (`true`).
        public var extraOwners: (_ wait: Bool) -> Set<String>?
        /// Batches that may wait for the extra owners, loaded meanwhile.
        /// Each waiting batch is held whole (2,048 companies with their
        /// logos): 16 put 80 MB more on the peak of a plan of 100,000
        /// companies, and malloc kept it for the rest of the run; 4 cost
        /// no time there (the store's read of 100,000 summaries ends first).
        public var maxWaiting = 4
        /// Each batch's companies that passed loading, the schema, the policy
        /// and the fence, in id order, with the owners known so far;
        /// `LoadResult.companies` stays empty. Not
        /// called once any file had an error: the run stops anyway.
        public var consume: ([LoadedCompany], BatchContext) -> Void

        public init(size: Int, extraOwners: @escaping (_ wait: Bool) -> Set<String>? = { _ in [] },
                    consume: @escaping ([LoadedCompany], BatchContext) -> Void) {
            self.size = size
            self.extraOwners = extraOwners
            self.consume = consume
        }
    }

    /// What a batch's consumer needs beside the companies.
    public struct BatchContext {
        public var workspace: Workspace
        public var files: SourceFiles
        /// The env forms of every company id, profile and extra owner known so far.
        public var owners: Set<String>
        /// The env forms of the company ids (files and extra owners) known so far.
        public var companyOwners: Set<String>
    }

    /// The fence check of each company's references, in parallel (the fence
    /// is pure), reported in order; a company it refuses is removed.
    static func check(_ companies: inout [LoadedCompany], owners: Set<String>, companyOwners: Set<String>, ownersIncludeCompanies: Bool = false,
                      workspace: Workspace, files: SourceFiles, seen: inout Set<String>, diagnostics: inout DiagnosticCollector) {
        let fence = SecretResolver(workspace: workspace, environment: [:], owners: owners, companyOwners: companyOwners,
                                   ownersIncludeCompanies: ownersIncludeCompanies)
        let problems = ProblemSlots(count: companies.count)
        let checking = companies
        DispatchQueue.concurrentPerform(iterations: checking.count) { i in
            problems.set(i, fence.fenceDiagnostics(checking[i].company, companyFile: checking[i].path, files: files))
        }
        var refused = Set<Int>()
        for i in companies.indices {
            let found = problems.get(i)
            for diagnostic in found where seen.insert("\(diagnostic.location?.description ?? "")|\(diagnostic.message)").inserted {
                diagnostics.report(diagnostic)
            }
            if found.contains(where: { $0.severity == .error }) { refused.insert(i) }
        }
        if !refused.isEmpty { companies = companies.enumerated().filter { !refused.contains($0.offset) }.map(\.element) }
    }

    /// One slot per company, each written by exactly one worker of `concurrentPerform`.
    final class ProblemSlots: @unchecked Sendable {
        private let buffer: UnsafeMutableBufferPointer<[Diagnostic]>
        init(count: Int) {
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: [])
        }
        deinit {
            buffer.deinitialize()
            buffer.deallocate()
        }
        func set(_ i: Int, _ value: [Diagnostic]) { buffer[i] = value }
        func get(_ i: Int) -> [Diagnostic] { buffer[i] }
    }

    /// One slot per file, each written by exactly one worker of `concurrentPerform`.
    final class OutcomeSlots: @unchecked Sendable {
        private let buffer: UnsafeMutableBufferPointer<FileOutcome>
        init(count: Int) {
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: FileOutcome())
        }
        deinit {
            buffer.deinitialize()
            buffer.deallocate()
        }
        func set(_ index: Int, _ outcome: FileOutcome) { buffer[index] = outcome }
        var values: [FileOutcome] { Array(buffer) }
    }

    struct FileOutcome {
        var company: LoadedCompany?
        /// The `company:` id and its position, when the file names one.
        var id: (String, Mark)?
        var diagnostics: [Diagnostic] = []
    }

    static func loadOne(path: String, source: Int, workspace: Workspace, profiles: ProfileSet, files: SourceFiles) -> FileOutcome {
        var outcome = FileOutcome()
        var tree: JSONNode
        switch YAMLFile.read(path, source: source, files: files, fence: workspace.fence) {
        case .failure(let diagnostic):
            outcome.diagnostics.append(diagnostic)
            return outcome
        case .success(let node):
            tree = node
        }
        if let idNode = tree["company"], let id = idNode.value.stringValue, let mark = idNode.mark { outcome.id = (id, mark) }
        if let extendsNode = tree["extends"], let name = extendsNode.value.stringValue {
            // Checked before the name becomes a path (the schema runs after the merge),
            // and bounded: a name of 300 KB once took seconds of "did you mean".
            guard name.utf8.count <= ProfileSet.maxNameLength else {
                outcome.diagnostics.append(.error("profile name is \(name.utf8.count) bytes long, over the limit of \(ProfileSet.maxNameLength)",
                                                  at: files.location(extendsNode.mark),
                                                  hint: "set extends: to the name of a file in the profiles folder, without .yaml"))
                return outcome
            }
            guard !name.isEmpty, name.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
            }) else {
                outcome.diagnostics.append(.error("profile name may use only letters, digits, '-' and '_'", at: files.location(extendsNode.mark),
                                                  hint: "set extends: to the name of a file in the profiles folder, without .yaml"))
                return outcome
            }
            switch profiles.profile(named: name) {
            case .found(let profile):
                for (key, mark) in ProfileSet.borrowedSecretOverrides(profile: profile, company: tree) {
                    let what = ProviderSchemes.apis.first { key.hasPrefix($0.word + ".") }.map { "\($0.displayName) account" } ?? "SMTP server"
                    outcome.diagnostics.append(.error(
                        "\(key) changes a setting of the \(what) whose secret comes from profile '\(name)': a profile's secret goes only with the profile's own settings",
                        at: files.location(mark),
                        hint: "remove \(key) to use the profile's \(what) as it is, or give the company its own secret for its own \(what)", rule: "secret-owner"))
                }
                tree = ProfileSet.merge(base: profile, over: tree)
            case .failed(let diagnostic):
                outcome.diagnostics.append(diagnostic)
                return outcome
            case .missing:
                let known = profiles.names
                var hint = "create \(Paths.display((workspace.profilesDirectory as NSString).appendingPathComponent(name + ".yaml")))"
                if let best = DidYouMean.closest(to: name, among: known) { hint = "did you mean '\(best)'?" }
                outcome.diagnostics.append(.error("profile '\(name)' does not exist", at: files.location(extendsNode.mark), hint: hint))
                return outcome
            }
        }
        let violations = SchemaCatalog.company.validate(tree)
        let companyID = tree["company"]?.value.stringValue
        if !violations.isEmpty {
            // Bounded per file: one file of 95,000 unknown keys once printed
            // 24 MB of annotations. The first ones, then how many more.
            let limit = 100
            var found = SchemaDiagnostics(files: files, schema: SchemaCatalog.companyJSON, secretsFolder: workspace.suggestedSecretsFolder, instance: tree)
                .diagnostics(for: Array(violations.prefix(limit + 1)), companyID: companyID)
            if violations.count > limit {
                found = Array(found.prefix(limit))
                found.append(.error("\(violations.count - limit) more problems in this file are not shown", at: files.location(tree.mark),
                                    hint: "fix the ones shown and validate again"))
            }
            outcome.diagnostics += found
            return outcome
        }
        var company: Company<SecretReference>
        do {
            company = try CompanyDecoder.decode(tree)
        } catch let failure as CompanyDecoder.Failure {
            outcome.diagnostics.append(.error(failure.message, at: files.location(failure.mark ?? tree.mark),
                                              hint: "correct the value; mailform could not read it", rule: "decode"))
            return outcome
        } catch {
            outcome.diagnostics.append(.error("cannot read the settings: \(error)", at: files.location(tree.mark), hint: "correct the file"))
            return outcome
        }
        // The logo is read once: the logo rule checks what the company keeps.
        var logo: Result<LogoImage, LogoLoader.Problem>?
        if case .image(let image)? = company.logo {
            logo = LogoLoader.load(image.fileName, from: files.absolutePath(of: tree["sender"]?["logo"]?.mark) ?? path, fence: workspace.fence)
        }
        var context = PolicyContext(company: company, tree: tree, workspace: workspace, filePath: path, files: files)
        context.logo = logo
        // Waivers turn the findings of the rules they name into notes.
        outcome.diagnostics += Waivers.apply(company.waivers, to: Policy.check(context), waivable: workspace.waivableRules,
                                             today: Waiver.today(), location: { files.location($0) })
        if let logo {
            // The logo rule reported a failure already; a company never goes on without its logo.
            guard case .success(let loaded) = logo else {
                if !outcome.diagnostics.contains(where: { $0.severity == .error }) {
                    outcome.diagnostics.append(.error("logo file cannot be read", at: files.location(tree["sender"]?["logo"]?.mark),
                                                      hint: "set sender.logo to an https URL or to an image beside the file", rule: "logo-file"))
                }
                return outcome
            }
            company.logo = .image(loaded)
        }
        if !outcome.diagnostics.contains(where: { $0.severity == .error }) {
            outcome.company = LoadedCompany(company: company, marks: endpointMarks(tree, company), path: path, source: source)
        }
        return outcome
    }

    /// The fields of a server a probe hint may name; an absent one (a
    /// default) points at its server's section.
    /// Every field of `SMTPServerShape`, and the sections of dotted ones
    /// (`oauth2`), with their keys split once.
    static let serverFields: [(key: String, parts: [String])] = {
        let keys = SMTPServerShape.fields.map(\.key)
            + Set(SMTPServerShape.fields.compactMap { $0.key.split(separator: ".").count > 1 ? String($0.key.split(separator: ".")[0]) : nil }).sorted()
        return keys.map { ($0, $0.split(separator: ".").map(String.init)) }
    }()

    static func endpointMarks(_ tree: JSONNode, _ company: Company<SecretReference>) -> [String: Mark] {
        var marks: [String: Mark] = [:]
        marks["company"] = tree["company"]?.mark
        // Fields the deliverability findings point at.
        marks["sender.email"] = tree["sender"]?["email"]?.mark
        marks["dsar_sender.email"] = tree["dsar_sender"]?["email"]?.mark ?? tree["sender"]?["email"]?.mark
        marks["dkim.selector"] = tree["dkim"]?["selector"]?.mark ?? tree["sender"]?["email"]?.mark
        marks["provider"] = tree["provider"]?.mark
        func server(_ node: JSONNode?, keyMark: Mark?, _ base: String) {
            guard let node else { return }
            // Only the fields the file writes (a default has no line of its
            // own): `LoadedCompany.mark(_:)` falls back to the section. A mark
            // per field of the shape cost 1.6 KB per company.
            marks[base] = keyMark ?? node.mark
            for field in serverFields {
                var child: JSONNode? = node
                for part in field.parts { child = child?[part] }
                if let mark = child?.mark { marks[base + "." + field.key] = mark }
            }
        }
        let smtpKey = tree.value.members?.first { $0.key == "smtp" }?.keyMark
        server(tree["smtp"], keyMark: smtpKey, "smtp")
        // A provider's fields; one left to its default at the section's first field.
        for api in ProviderSchemes.apis {
            guard let section = tree[api.word] else { continue }
            for field in api.fields {
                marks[api.path(field)] = section[field.name]?.mark ?? (field.defaultValue != nil ? section[api.fields[0].name]?.mark : nil)
            }
        }
        for pool in company.pools {
            for (i, node) in (tree["smtp_pools"]?[pool.name]?["servers"]?.value.elements ?? []).enumerated() {
                server(node, keyMark: node.mark, "smtp_pools.\(pool.name).servers[\(i)]")
            }
        }
        return marks
    }

    /// Expands folders into the company files below them: `*.yaml` and `*.yml`,
    /// except workspace files, the profiles folder, hidden folders, nested
    /// workspaces (folders with a `mailform.yaml` of their own) and what the
    /// workspace's `.mailformignore` names. A folder that cannot be listed, a
    /// path too long to open and a linked folder are errors, never a silent skip.
    static func expand(_ paths: [String], workspace: Workspace, diagnostics: inout DiagnosticCollector) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        let ignore = IgnoreFile(root: workspace.root)
        for path in paths {
            let absolute = Paths.absolute(path)
            guard Paths.exists(absolute) || WorkspaceLoader.isLink(absolute) else {
                diagnostics.report(.error("path '\(path)' does not exist", at: nil, hint: "pass company files or folders that hold them"))
                continue
            }
            if !Paths.isDirectory(absolute) {
                if seen.insert(absolute).inserted { result.append(absolute) }
                continue
            }
            var found: [String] = []
            walk(absolute, workspace: workspace, ignore: ignore, into: &found, diagnostics: &diagnostics)
            for file in found.sorted() where seen.insert(file).inserted { result.append(file) }
        }
        return result
    }

    /// A folder's entries (name and `d_type`) in name order, without `.` and `..`; nil when it cannot be listed.
    static func list(_ folder: String) -> [(name: String, type: UInt8)]? {
        guard let dir = opendir(folder) else { return nil }
        defer { closedir(dir) }
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            entries.append((name, entry.pointee.d_type))
        }
        return entries.sorted { $0.name < $1.name }
    }

    private static func walk(_ folder: String, workspace: Workspace, ignore: IgnoreFile, into found: inout [String],
                             diagnostics: inout DiagnosticCollector) {
        if folder.utf8.count >= Int(PATH_MAX) {
            diagnostics.report(.error("path '\(Paths.display(folder))' is longer than the system allows (\(Int(PATH_MAX)) bytes)", at: nil,
                                      hint: "shorten the folder names", rule: "workspace-files"))
            return
        }
        guard let entries = list(folder) else {
            diagnostics.report(.error("folder '\(Paths.display(folder))' cannot be listed", at: nil,
                                      hint: "check its permissions", rule: "workspace-files"))
            return
        }
        for (name, type) in entries {
            let full = folder == "/" ? "/" + name : folder + "/" + name
            // The directory entry's type saves a stat per file (100,000 of
            // them); a file system that does not give it gets the stat.
            var kind: mode_t
            switch Int32(type) {
            case Int32(DT_REG) where full.utf8.count < Int(PATH_MAX): kind = S_IFREG
            case Int32(DT_DIR) where full.utf8.count < Int(PATH_MAX): kind = S_IFDIR
            case Int32(DT_LNK) where full.utf8.count < Int(PATH_MAX): kind = S_IFLNK
            default:
                var info = stat()
                guard lstat(full, &info) == 0 else {
                    if name.hasSuffix(".yaml") || name.hasSuffix(".yml") || full.utf8.count >= Int(PATH_MAX) {
                        diagnostics.report(.error("'\(Paths.display(full))' cannot be read (\(String(cString: strerror(errno))))", at: nil,
                                                  hint: "shorten the path or check its permissions", rule: "workspace-files"))
                    }
                    continue
                }
                kind = info.st_mode & S_IFMT
            }
            let isFolder = kind == S_IFDIR || (kind == S_IFLNK && Paths.isDirectory(full))
            if isFolder {
                if name.hasPrefix(".") || full == workspace.profilesDirectory || ignore.ignores(full, isDirectory: true)
                    || WorkspaceLoader.fileNames.contains(where: { Paths.exists((full as NSString).appendingPathComponent($0)) }) {
                    continue
                }
                if kind == S_IFLNK {
                    diagnostics.report(.error("folder '\(Paths.display(full))' is a symbolic link; mailform does not follow linked folders",
                                              at: nil, hint: "replace the link with the folder, or list it in .mailformignore", rule: "workspace-files"))
                    continue
                }
                walk(full, workspace: workspace, ignore: ignore, into: &found, diagnostics: &diagnostics)
                continue
            }
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), !WorkspaceLoader.fileNames.contains(name),
                  !name.hasPrefix("."), !ignore.ignores(full, isDirectory: false) else { continue }
            found.append(full)
        }
    }
}

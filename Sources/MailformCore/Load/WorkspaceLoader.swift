import Foundation
import JSONSchema

/// Finds and reads `mailform.yaml`.
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

    /// Reads and checks the workspace file; problems go to `diagnostics`.
    public static func load(file: String?, files: SourceFiles, diagnostics: inout DiagnosticCollector) -> Workspace {
        guard let file else { return Workspace(root: Paths.currentDirectory) }
        let root = Paths.directory(of: file)
        var workspace = Workspace(root: root)
        let source = files.add(absolutePath: file)
        workspace.file = files.paths[source]
        guard Paths.exists(file) else {
            diagnostics.report(.error("workspace file '\(Paths.display(file))' does not exist", at: nil,
                                      hint: "create it with 'mode: saas', or drop --workspace"))
            return workspace
        }
        let tree: JSONNode
        switch YAMLFile.read(file, source: source, files: files) {
        case .failure(let diagnostic):
            diagnostics.report(diagnostic)
            return workspace
        case .success(let node):
            tree = node
        }
        let violations = SchemaCatalog.workspace.validate(tree)
        if !violations.isEmpty {
            diagnostics.report(contentsOf: SchemaDiagnostics(files: files, schema: SchemaCatalog.workspaceJSON)
                .diagnostics(for: violations, companyID: nil))
            return workspace
        }
        if let mode = tree["mode"]?.value.stringValue.flatMap(Mode.init(rawValue:)) { workspace.mode = mode }
        if let store = tree["store"]?.value.stringValue { workspace.storePath = Paths.absolute(store, relativeTo: root) }
        if let profiles = tree["profiles"]?.value.stringValue { workspace.profilesDirectory = Paths.absolute(profiles, relativeTo: root) }
        if let probe = tree["probe"] {
            if let timeout = probe["timeout"]?.value.stringValue, let ms = Duration.milliseconds(timeout) {
                workspace.probeTimeoutMilliseconds = ms
            }
            if case .integer(let c)? = probe["concurrency"]?.value { workspace.probeConcurrency = c }
            workspace.probeProxy = probe["proxy"]?.value.stringValue
            workspace.probeCAFile = probe["ca_file"]?.value.stringValue.map { Paths.absolute($0, relativeTo: root) }
        }
        if let secrets = tree["secrets"] {
            if let env = secrets["env"]?.value.elements { workspace.secretEnvPatterns = env.compactMap { $0.value.stringValue } }
            if let dirs = secrets["dirs"]?.value.elements {
                workspace.secretDirectories = dirs.compactMap { $0.value.stringValue }.map { Paths.absolute($0, relativeTo: root) }
            }
        }
        if let safety = tree["safety"] {
            if case .integer(let n)? = safety["max_deletes"]?.value { workspace.maxDeletes = n }
            if let p = safety["max_changed_percent"]?.value.doubleValue { workspace.maxChangedPercent = p }
        }
        return workspace
    }
}

/// `10s`, `1500ms`, `2m` as milliseconds.
public enum Duration {
    public static func milliseconds(_ text: String) -> Int? {
        if text.hasSuffix("ms") { return Int(text.dropLast(2)) }
        if text.hasSuffix("s") { return Int(text.dropLast()).map { $0 * 1000 } }
        if text.hasSuffix("m") { return Int(text.dropLast()).map { $0 * 60_000 } }
        return Int(text).map { $0 * 1000 }
    }
}

/// Reads a YAML file from disk into a located tree, or one diagnostic.
enum YAMLFile {
    static func read(_ path: String, source: Int, files: SourceFiles) -> Result<JSONNode, Diagnostic> {
        let start = files.start(of: source)
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, size > YAMLLoader.maxFileSize {
            return .failure(.error("file is \(size) bytes, over the 1 MiB limit", at: start,
                                   hint: "company files are a few hundred bytes; check that this is the right file"))
        }
        guard let bytes = try? Paths.readBytes(path) else {
            return .failure(.error("cannot read file", at: start, hint: "check that the file exists and is readable"))
        }
        switch YAMLLoader(source: source).load(bytes) {
        case .success(let node):
            return .success(node)
        case .failure(let failure):
            var diagnostic = Diagnostic.error(failure.message, at: files.location(failure.mark), hint: failure.hint)
            if let (mark, message) = failure.related, let location = files.location(mark) {
                diagnostic.related.append(.init(location: location, message: message))
            }
            return .failure(diagnostic)
        }
    }
}

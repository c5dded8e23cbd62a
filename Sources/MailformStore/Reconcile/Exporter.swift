import Foundation
import MailformCore

/// export: writes one company file per company in the store, secrets as
/// `${env:MAILFORM_…}` references, and — only when asked — their values to a
/// mode-0600 dotenv file, so `plan` of the result shows no change.
public enum Exporter {
    public struct Result: Sendable {
        public var companies: Int
        public var secrets: Int
        public var files: [String]
    }

    /// The environment variable an exported secret reference reads (`SecretNames`).
    public static func envName(company: String, path: String) -> String { SecretNames.envName(company: company, path: path) }

    /// Company ids as a company file allows them: a store written by another
    /// tool (or tampered with) must not make export write outside its folder.
    static func isValidID(_ id: String) -> Bool {
        guard let first = id.utf8.first, id.utf8.count <= 63, first != UInt8(ascii: "-") else { return false }
        return id.utf8.allSatisfy { b in (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D }
    }

    static func sanitize(_ s: String) -> String {
        String(s.uppercased().unicodeScalars.map { c in
            (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) ? Character(c) : "_"
        })
    }

    /// A company file already in the folder an export writes to, and the
    /// digest of what it says (``ExistingFiles``).
    public struct ExistingFile: Sendable {
        public var path: String
        var digest: FieldsDigest
        /// Its flattened fields (a secret as its reference), by path.
        var fields: [String: FieldValue]
        /// What the file says that the store does not hold, kept when the
        /// file has to be written whole: `dkim.selector`, the logo's path
        /// (when the store's logo is the same image), the schema comment.
        var dkimSelector: String?
        var logo: (path: String, sha256: String)?
    }

    /// The company files already in `directory`, when it is a workspace (it
    /// has a mailform.yaml), by company id: each with the digest of its
    /// settings, a secret as the reference it records. An export leaves a
    /// file that says what the store holds exactly as it is (its comments,
    /// order, quoting, profiles and folder), and writes a company that
    /// differs over the file that holds it. A file that does not load is
    /// not one: what export would write there differs from it.
    /// - Throws: ``Reconciler/Failure`` when the folder's files do not all
    ///   load: which file holds which company is then not known for sure (two
    ///   files may claim one id), so nothing is exported into it.
    public static func existingFiles(in directory: String) throws -> [String: ExistingFile] {
        guard Paths.exists(directory + "/mailform.yaml") else { return [:] }
        let loaded = CompanyLoader.load(paths: [directory], workspaceOverride: directory + "/mailform.yaml")
        let errors = loaded.diagnostics.sorted.filter { $0.severity == .error }
        if let first = errors.first {
            throw Reconciler.Failure("the files in \(SafeText.escape(Paths.display(directory))) do not all load (\(errors.count) error\(errors.count == 1 ? "" : "s"); first: \(first.location.map { SafeText.escape($0.description) + ": " } ?? "")\(SafeText.escape(first.message))); export writes into a workspace only when it knows which file holds which company; nothing was exported", code: .exportRefused)
        }
        let resolver = Resolver(workspace: loaded.workspace, files: loaded.files, environment: [:], owners: loaded.owners,
                                companyOwners: loaded.companyOwners, ownersIncludeCompanies: true)
        var diagnostics = DiagnosticCollector()
        let resolved = resolver.resolve(loaded.companies, diagnostics: &diagnostics, referencesOnly: true)
        // A company whose references do not pass would be missing here, and
        // export would write it a second file: refused like a file that does not load.
        if let first = diagnostics.sorted.first(where: { $0.severity == .error }) {
            throw Reconciler.Failure("the files in \(SafeText.escape(Paths.display(directory))) do not all pass their secret fences (first: \(first.location.map { SafeText.escape($0.description) + ": " } ?? "")\(SafeText.escape(first.message))); export writes into a workspace only when it knows which file holds which company; nothing was exported", code: .exportRefused)
        }
        let paths = Dictionary(loaded.companies.map { ($0.company.id, $0.path) }, uniquingKeysWith: { a, _ in a })
        var out: [String: ExistingFile] = [:]
        for company in resolved {
            guard let path = paths[company.id] else { continue }
            let flattened = FieldFlattener.flatten(company) { SecretFingerprint(hex: "reference " + $0.canonical) }
            var logo: (String, String)?
            if case .image(let image)? = company.logo { logo = (image.fileName, image.sha256) }
            out[company.id] = ExistingFile(path: path, digest: FieldsDigest(flattened),
                                           fields: Dictionary(flattened.map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a }),
                                           dkimSelector: company.dkimSelector, logo: logo)
        }
        return out
    }

    /// The fields ``existingFiles(in:)`` compares a file with: the store's
    /// settings of `company`, a secret as the reference it records.
    static func flattened(_ company: Company<StoredSecret>) -> [(path: String, value: FieldValue)] {
        FieldFlattener.flatten(company) { SecretFingerprint(hex: "reference " + ($0.fingerprint.reference ?? "(none recorded)")) }
    }

    /// The digest ``existingFiles(in:)`` gives a file that says what the store holds of `company`.
    static func digest(_ company: Company<StoredSecret>) -> FieldsDigest { FieldsDigest(flattened(company)) }

    /// The fields an edit in place may write: those a company file writes as
    /// the plain value the plan compares (the shape tables' text, integer
    /// and boolean fields of the company and its main server). Others, like
    /// `probe` (shown as "off: REASON", written as a boolean or a section),
    /// are written with the whole file.
    static let editable: Set<String> = {
        var paths = Set(CompanyShape.fields.filter { !$0.isSecret }.map(\.key))
        for api in ProviderSchemes.apis { paths.formUnion(api.plainFields.map(api.path)) }
        for field in SMTPServerShape.fields where !field.isSecret {
            switch field.kind {
            case .text, .integer, .boolean: paths.insert("smtp." + field.key)
            default: continue
            }
        }
        return paths
    }()

    /// The existing file with the store's values written over the ones that
    /// differ, and nothing else changed (``YAMLScalarPatch``); nil when a
    /// differing field is not a plain value the file writes itself (a
    /// secret reference, a list, a logo, a field from a profile or left
    /// to its default, a field the store has and the file not).
    static func patched(_ existing: ExistingFile, bytes: [UInt8], store company: Company<StoredSecret>) -> [UInt8]? {
        let store = flattened(company)
        let storePaths = Set(store.map(\.path))
        // A field only the file has: the store dropped it; a patch cannot remove it.
        guard existing.fields.keys.allSatisfy(storePaths.contains) else { return nil }
        var edits: [YAMLScalarPatch.Edit] = []
        for (path, value) in store where existing.fields[path] != value {
            guard existing.fields[path] != nil, editable.contains(path), let edit = YAMLScalarPatch.Edit(path: path, field: value) else { return nil }
            edits.append(edit)
        }
        return YAMLScalarPatch.patch(bytes, edits)
    }

    /// What an export would write, computed before anything is written.
    public struct Prepared {
        /// Company files and logos, absolute paths, in write order.
        public var files: [(path: String, bytes: Data)]
        /// Company files left as they are: they say what the store holds.
        public var unchanged: [String] = []
        /// Company files whose differing values are written over, nothing else changed.
        public var edited: [String] = []
        /// Company files written whole (a differing field could not be edited in place).
        public var rewritten: [String] = []
        /// The `MAILFORM_…` variables export named for secrets written as
        /// `${env:}` references (their values only in `--secrets-out`).
        public var namedVariables: [String] = []
        var companiesDirectory: String
        var dotenv: [(String, Secret)]
        public var companies: Int

        /// The files that exist with other contents than the export's: local
        /// edits an export would overwrite.
        public var differing: [String] {
            files.filter { file in
                guard let existing = FileManager.default.contents(atPath: file.path) else { return false }
                return existing != file.bytes
            }.map(\.path)
        }
    }

    /// Computes `directory/companies/<id>.yaml` (and logos beside them)
    /// without writing. Secret values are decrypted only when `secretsOut` is given.
    /// - throws: ``Reconciler/Failure`` for a store export cannot represent.
    /// - Parameter workspaceRoot: the workspace the store's recorded
    ///   references are relative to. A recorded `${env:NAME}` is written as
    ///   it is; a recorded `${file:PATH}` too (relative to the written file)
    ///   when the export goes inside that workspace, so an export that
    ///   replaces files plans as no change. Other secrets get
    ///   `${env:MAILFORM_<ID>__…}` names (values in `secretsOut`).
    public static func prepare(opened: OpenedStore, to directory: String, secretsOut: String?, schemaPath: String,
                               workspaceRoot: String? = nil, only: ((String) -> Bool)? = nil,
                               existing: [String: ExistingFile] = [:]) throws -> Prepared {
        var collision: String?
        let companiesDir = directory + "/companies"
        var current = try opened.allCompanies()
        if let only { current = current.filter { only($0.key) } }
        if let bad = current.keys.sorted().first(where: { !isValidID($0) }) {
            throw Reconciler.Failure("the store holds the company id '\(SafeText.escape(bad))', which is not a valid id (lowercase letters, digits and '-'); nothing was exported", code: .exportRefused)
        }
        // A company goes where its file already is (companies/<id>.yaml for a new one).
        func target(_ id: String) -> String { existing[id]?.path ?? companiesDir + "/\(id).yaml" }
        var owners: [String: String] = [:]
        for id in current.keys.sorted() {
            _ = current[id]!.company.mapSecrets { path, secret -> Int in
                if kept(secret, companyFile: target(id), root: workspaceRoot, exportedRoot: directory) != nil { return 0 }
                let name = envName(company: id, path: path)
                if let other = owners[name] {
                    collision = "\(other) and \(id) \(path) would both read \(name)"
                }
                owners[name] = "\(id) \(path)"
                return 0
            }
        }
        if let collision { throw Reconciler.Failure("export cannot name the secrets apart: \(collision); nothing was exported", code: .exportRefused) }
        // One file per company: a company's file may not be another's (a
        // file that declares another id, or two companies sent to one path).
        var holders: [String: String] = [:]
        for (id, file) in existing { holders[file.path] = id }
        for id in current.keys.sorted() {
            let path = target(id)
            if let holder = holders[path], holder != id {
                throw Reconciler.Failure("\(SafeText.escape(Paths.display(path))) holds company \(SafeText.escape(holder)), so export cannot write company \(SafeText.escape(id)) there; nothing was exported", code: .exportRefused)
            }
            holders[path] = id
        }
        var dotenv: [(String, Secret)] = []
        var dotenvNames = Set<String>()
        var files: [(path: String, bytes: Data)] = []
        var unchanged: [String] = [], edited: [String] = [], rewritten: [String] = []
        var named = Set<String>()
        for id in current.keys.sorted() {
            let stored = current[id]!
            let company = stored.company
            let file = target(id)
            let same = existing[id].map { $0.digest == digest(company) } ?? false
            let references = try company.mapSecrets { path, secret -> SecretReference in
                let recorded = kept(secret, companyFile: file, root: workspaceRoot, exportedRoot: directory)
                if case .file? = recorded?.kind { return recorded! }
                let name: String
                if case .env(let recordedName)? = recorded?.kind { name = recordedName } else {
                    name = envName(company: id, path: path)
                    if !same { named.insert(name) }
                }
                if secretsOut != nil, !dotenvNames.contains(name) {
                    dotenvNames.insert(name)
                    dotenv.append((name, try opened.box.open(secret.sealed, context: SecretBox.context(company: id, path: path))))
                }
                return SecretReference(kind: .env(name))
            }
            if same {
                unchanged.append(file)
                continue
            }
            // The company's own file, read once: edited in place, or its schema comment kept.
            var own: [UInt8]?
            if let known = existing[id] {
                if case .success(let bytes) = SafeFile.read(known.path, limit: 1 << 20) { own = bytes }
                // Only the values that differ, over the file as it is.
                if let own, let bytes = patched(known, bytes: own, store: company) {
                    files.append((file, Data(bytes)))
                    edited.append(file)
                    continue
                }
                rewritten.append(file)
            }
            var logoPath: String?
            if case .image(let image)? = company.logo {
                if let kept = existing[id]?.logo, kept.sha256 == image.sha256 {
                    logoPath = kept.path  // the same image: the file's own path, no copy
                } else {
                    let ext = image.mediaType == "image/png" ? "png" : image.mediaType == "image/jpeg" ? "jpg" : "svg"
                    logoPath = "logos/\(id).\(ext)"
                    files.append((Paths.directory(of: file) + "/" + logoPath!, Data(image.bytes)))
                }
            }
            var written = references
            written.dkimSelector = existing[id]?.dkimSelector
            // A file written whole keeps its own schema comment (a relative path, often).
            var schema = schemaPath
            if let own {
                let first = String(decoding: own.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
                let prefix = "# yaml-language-server: $schema="
                if first.hasPrefix(prefix), !first.dropFirst(prefix.count).contains(where: { $0 == " " || $0.isNewline }) {
                    schema = String(first.dropFirst(prefix.count))
                }
            }
            let yaml = CompanyYAMLWriter.yaml(written, logoPath: logoPath, schemaPath: schema)
            files.append((file, Data(yaml.utf8)))
        }
        return Prepared(files: files, unchanged: unchanged, edited: edited, rewritten: rewritten, namedVariables: named.sorted(),
                        companiesDirectory: companiesDir, dotenv: dotenv, companies: current.count)
    }

    /// The reference the store records for `secret`, as the exported file
    /// at `companyFile` must write it: an env reference as it is; a file
    /// reference (relative to `root`, the workspace that applied it) written
    /// relative to `companyFile` when the file lies inside the exported
    /// workspace (`exportedRoot`, which gets its own mailform.yaml), so it
    /// reads the same file under the same canonical name.
    static func kept(_ secret: StoredSecret, companyFile: String, root: String?, exportedRoot: String) -> SecretReference? {
        guard let recorded = secret.fingerprint.reference, let parsed = SecretReference(parsing: recorded) else { return nil }
        switch parsed.kind {
        case .env: return parsed
        case .file(let path):
            guard let root else { return nil }
            let target = path.hasPrefix("/") ? path : Paths.absolute(path, relativeTo: root)
            guard Paths.isInside(target, exportedRoot), Paths.exists(target),
                  path.hasPrefix("/") || Paths.relative(target, from: exportedRoot) == path else { return nil }
            return SecretReference(kind: .file(Paths.relative(target, from: Paths.directory(of: companyFile))))
        }
    }

    /// Writes what ``prepare(opened:to:secretsOut:schemaPath:workspaceRoot:)`` computed, and the dotenv file.
    /// - Throws: `SafeWrite.Refusal` for a path mailform never writes (a link, the store or its key), or the error of a folder or file that cannot be made or written.
    public static func writeFiles(_ prepared: Prepared, secretsOut: String?) throws -> Result {
        try SafeWrite.makeDirectory(prepared.companiesDirectory)
        for file in prepared.files {
            try SafeWrite.makeDirectory(Paths.directory(of: file.path))
            try SafeWrite.write([UInt8](file.bytes), to: file.path)
        }
        if let secretsOut { try writeDotenv(prepared.dotenv, to: secretsOut) }
        return Result(companies: prepared.companies, secrets: prepared.dotenv.count,
                      files: prepared.files.map(\.path).filter { $0.hasSuffix(".yaml") })
    }

    /// `NAME='value'` lines, single-quoted, in a file created with mode 0600.
    static func writeDotenv(_ entries: [(String, Secret)], to path: String) throws {
        var bytes: [UInt8] = Array("# mailform export: secret values. Keep this file out of Git and delete it after use.\n".utf8)
        for (name, secret) in entries {
            bytes += Array("\(name)='".utf8)
            secret.withRevealedBytes { value in
                for b in value { if b == UInt8(ascii: "'") { bytes += Array("'\\''".utf8) } else { bytes.append(b) } }
            }
            bytes += Array("'\n".utf8)
        }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        try SafeWrite.write(bytes, to: path, mode: 0o600)
    }
}

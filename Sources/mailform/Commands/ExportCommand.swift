import ArgumentParser
import Foundation
import MailformCore
import MailformStore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one company file per company in the store, secrets as ${env:MAILFORM_...} references.",
        discussion: "With --secrets-out FILE the secret values go to a mode-0600 dotenv file for the migration; plan of the result shows no change. Exported into a workspace (a folder with a mailform.yaml), a company file that already says what the store holds is left exactly as it is (comments, order, profiles), and a company that differs is written over the file that holds it; company files that differ from the store are not overwritten without --force (exit 1, nothing written)."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The workspace file or folder (for the store location and mode).")
    var workspace: String?

    @Option(help: "The folder to write (companies/ below it, and mailform.yaml when it has none).")
    var out: String

    @Option(help: "Write the secret values to this dotenv file (mode 0600).")
    var secretsOut: String?

    @Option(help: "Output format.")
    var format: TextOrJSONFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    @Flag(help: "Overwrite company files in the folder that differ from the store (local edits are lost).")
    var force = false

    @Option(name: .customLong("company"), help: "Export only this company id (repeatable; '*' wildcards): adopt a settings-page change back into its file.")
    var companies: [String] = []

    /// The store as the exported mailform.yaml names it: relative to that
    /// file's folder (the workspace moves with its files).
    static func relativeStore(_ store: String, from directory: String) -> String {
        // A PostgreSQL URL (it holds no password) is named as it is.
        if StoreLocation.isURL(store) { return store }
        let relative = Paths.relative(store, from: directory)
        return relative.hasPrefix("/") || relative.hasPrefix(".") ? relative : "./" + relative
    }

    /// The dotenv path as POSIX `.` finds it: a name without a slash is looked
    /// up in $PATH, not the current folder, so it gets `./`; quoted when needed.
    static func sourceable(_ path: String) -> String {
        let local = path.contains("/") ? path : "./" + path
        let plain = local.unicodeScalars.allSatisfy { c in
            CharacterSet.alphanumerics.contains(c) && c.isASCII || "/._-+,:@%".unicodeScalars.contains(c)
        }
        return plain ? local : "'" + local.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    func run() throws {
        var diagnostics = DiagnosticCollector()
        let ws = WorkspaceLoader.load(file: WorkspaceLoader.find(paths: ["."], override: workspace), files: SourceFiles(), diagnostics: &diagnostics)
        if diagnostics.hasErrors { throw Pipeline.fail(diagnostics, files: 1, writes: true) }
        let storePath = StoreLocation.resolve(flag: storeOptions.store, workspace: ws)
        // (fatal prints as it is made: only when the store is missing.)
        let missing = { Pipeline.fatal(.storeNotFound, "no store at \(StoreLocation.display(storePath))\(StoreLocation.didYouMean(storePath))", hint: "name the store with --store") }
        guard StoreLocation.isURL(storePath) || Paths.exists(storePath) else { throw missing() }
        let opened = try Pipeline.openStore(path: storePath, create: false, createKey: false, lockTimeout: storeOptions.lockTimeout,
                                            readOnly: true)
        guard opened.store != nil else { throw missing() }
        let directory = Paths.absolute(out)
        do {
            let secretsPath = secretsOut.map { Paths.absolute($0) }
            // The values' file must not be one mailform reads as a company file
            // (its errors would quote the values, in this run and every later one).
            if let secretsPath, Paths.isInside(secretsPath, directory),
               [".yaml", ".yml"].contains(where: { secretsPath.lowercased().hasSuffix($0) }) {
                throw Pipeline.fatal(.usage, "--secrets-out \(SafeText.escape(Paths.display(secretsPath))) is a YAML file inside \(SafeText.escape(Paths.display(directory))), where mailform reads company files; nothing was written",
                                     hint: "write the secret values to a dotenv file outside the exported folder, e.g. --secrets-out tenants.env")
            }
            let only: ((String) -> Bool)? = companies.isEmpty ? nil : { id in companies.contains { Glob.matches(pattern: $0, id) } }
            let prepared = try Exporter.prepare(opened: opened, to: directory, secretsOut: secretsPath,
                                                schemaPath: "https://mailform.dev/schemas/company.schema.json", workspaceRoot: ws.root, only: only,
                                                existing: try Exporter.existingFiles(in: directory))
            if prepared.companies == 0 && !companies.isEmpty {
                throw Pipeline.fatal(.noCompanyMatches, "no company in the store matches \(companies.map(SafeText.escape).joined(separator: ", ")); nothing was written",
                                     hint: "--company takes company ids, with '*' wildcards")
            }
            // Like init, export never overwrites edits without being told to.
            let differing = prepared.differing
            if !differing.isEmpty && !force {
                let shown = differing.prefix(20).map { SafeText.escape(Paths.display($0)) }
                let more = differing.count > shown.count ? "\n  … and \(differing.count - shown.count) more" : ""
                throw Pipeline.fatal(.exportDiffers, "\(differing.count) file\(differing.count == 1 ? "" : "s") in \(SafeText.escape(Paths.display(directory))) say\(differing.count == 1 ? "s" : "") other than the store (edits in the files, or changes made in the store since they were applied); nothing was written:\n  "
                               + shown.joined(separator: "\n  ") + more,
                               hint: "to write the store's settings over them, pass --force and review the diff (a company file is edited in place where it can be); or export to another folder")
            }
            // Every target checked before the first write: a refusal writes nothing.
            for target in prepared.files.map(\.path) + [directory + "/mailform.yaml"] + (secretsPath.map { [$0] } ?? []) {
                try SafeWrite.check(target)
            }
            try SafeWrite.makeDirectory(directory)
            let workspaceFile = directory + "/mailform.yaml"
            if !Paths.exists(workspaceFile) {
                let text = """
                    # yaml-language-server: $schema=https://mailform.dev/schemas/workspace.schema.json
                    # Written by mailform export from \(Paths.display(storePath)).
                    mode: \(ws.mode.rawValue)
                    store: \(CompanyYAMLWriter.scalar(Self.relativeStore(storePath, from: directory)))

                    """ + (ws.waivableRules.isEmpty ? "" : "policy:\n  waivable: [\(ws.waivableRules.sorted().joined(separator: ", "))]\n")
                try SafeWrite.write(Array(text.utf8), to: workspaceFile, exclusive: true)
            }
            let intoWorkspace = Paths.exists(directory + "/mailform.yaml")
            let result = try Exporter.writeFiles(prepared, secretsOut: secretsPath)
            // The store may hold values the workspace's rules refuse (the
            // settings page checks less): say so now, not at the next plan.
            if intoWorkspace && !result.files.isEmpty {
                let check = CompanyLoader.load(paths: [directory], workspaceOverride: directory + "/mailform.yaml")
                let errors = check.diagnostics.sorted.filter { $0.severity == .error }
                if !errors.isEmpty {
                    Console.err("mailform: warning: the exported files do not pass the workspace's checks (\(errors.count) error\(errors.count == 1 ? "" : "s")): the store holds values its rules refuse; fix them in the files before the next apply\n")
                    Console.err(DiagnosticRenderer.text(Array(errors.prefix(5)), style: .plain))
                }
            }
            if format == .json {
                var object: [String: Any] = ["companies": result.companies, "files": result.files.map(Paths.display), "secrets": result.secrets,
                                             "unchanged": prepared.unchanged.map(Paths.display),
                                             "edited": prepared.edited.map(Paths.display), "rewritten": prepared.rewritten.map(Paths.display)]
                object["secrets_out"] = secretsOut ?? NSNull()
                Console.out(JSONOutput.string(object))
                return
            }
            if quiet { return }
            let written = result.files.count
            if written == 0 && !prepared.unchanged.isEmpty {
                Console.out("Nothing to export: every company file in \(Paths.display(directory)) already says what the store holds (\(prepared.unchanged.count) left as written)")
            } else {
                Console.out("Exported \(written) compan\(written == 1 ? "y" : "ies") to \(Paths.display(directory))")
                var parts: [String] = []
                if !prepared.edited.isEmpty { parts.append("\(prepared.edited.count) edited in place: only the values the store changed") }
                if !prepared.rewritten.isEmpty { parts.append("\(prepared.rewritten.count) written whole") }
                if !prepared.unchanged.isEmpty {
                    parts.append("\(prepared.unchanged.count) already said what the store holds and \(prepared.unchanged.count == 1 ? "was" : "were") left as written")
                }
                if !parts.isEmpty { Console.out(" (" + parts.joined(separator: "; ") + ")") }
            }
            if let secretsOut {
                Console.out("; \(result.secrets) secret value\(result.secrets == 1 ? "" : "s") to \(secretsOut) (mode 0600)")
            }
            Console.out(".\n")
            if let secretsOut {
                Console.out("Load them before planning the exported files: set -a; . \(Self.sourceable(secretsOut)); set +a\n")
            }
            if secretsOut == nil && !prepared.namedVariables.isEmpty {
                let n = prepared.namedVariables.count
                Console.err("mailform: note: \(n) secret\(n == 1 ? " is" : "s are") written as ${env:} references (\(SafeText.list(prepared.namedVariables, limit: 3))) whose values are in no file: set \(n == 1 ? "that variable" : "those variables") before planning, or export again with --secrets-out FILE\n")
            }
            for file in prepared.rewritten {
                Console.err("mailform: note: \(SafeText.escape(Paths.display(file))) was written whole: a value the store changed could not be edited in place there (it comes from a profile or a default, is a list, a logo, a section or a secret reference, was removed, or would not read back the same); review its diff\n")
            }
        } catch let failure as Reconciler.Failure {
            throw Pipeline.fatal(failure)
        } catch let refusal as SafeWrite.Refusal {
            throw Pipeline.fatal(refusal)
        } catch let failure as SecretBox.Failure {
            throw Pipeline.fatal(failure)
        }
    }
}

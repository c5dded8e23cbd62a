import ArgumentParser
import Foundation
import MailformCore
import MailformStore

/// The stages every reconciling command runs first: load and validate the
/// files, then resolve their secrets. Problems are printed to stderr and end
/// the command with exit 1 before anything touches the store.
///
/// `writes` says whether the command could have written anything (apply,
/// export, plan --out): only then does the summary add "nothing was written";
/// probe, history and a plain plan never write.
enum Pipeline {
    struct Loaded {
        var result: LoadResult
        var desired: [Company<ResolvedSecret>]
    }

    static func workspaceOptions(_ input: InputOptions, storeFlag: String? = nil) -> WorkspaceLoader.Options {
        WorkspaceLoader.Options(trusted: input.trustedWorkspace, storeFlag: storeFlag, paths: input.paths)
    }

    /// load → validate: every file, with diagnostics printed and exit 1 on errors.
    static func load(_ input: InputOptions, storeFlag: String? = nil, writes: Bool) -> LoadResult {
        let result = CompanyLoader.load(paths: input.paths, workspaceOverride: input.workspace,
                                        options: workspaceOptions(input, storeFlag: storeFlag))
        if result.diagnostics.hasErrors { fail(result.diagnostics, files: result.fileCount, writes: writes) }
        return result
    }

    /// resolve: reads the secrets. `storeIDs` are the company ids the store
    /// holds, so the env fence also keeps their variables from other companies.
    static func resolve(_ result: LoadResult, storeIDs: some Sequence<String> = [], quiet: Bool = false, writes: Bool) -> Loaded {
        var diagnostics = result.diagnostics
        let companies = result.companyOwners.union(storeIDs.map(SecretOwner.envForm))
        let resolver = Resolver(workspace: result.workspace, files: result.files, environment: ProcessInfo.processInfo.environment,
                                owners: result.owners, companyOwners: companies)
        let desired = resolver.resolve(result.companies, diagnostics: &diagnostics)
        if diagnostics.hasErrors { fail(diagnostics, files: result.fileCount, writes: writes) }
        if !quiet, diagnostics.warningCount > 0 {
            Console.err(DiagnosticRenderer.text(diagnostics.sorted, style: Style.forStream(2)))
        }
        return Loaded(result: result, desired: desired)
    }

    static func fail(_ diagnostics: DiagnosticCollector, files: Int, writes: Bool) -> Never {
        Console.err(DiagnosticRenderer.text(diagnostics.sorted, style: Style.forStream(2)))
        Console.err(DiagnosticRenderer.summary(files: files, errors: diagnostics.errorCount, warnings: diagnostics.warningCount)
                    + (writes ? "; nothing was written\n" : "\n"))
        exit(1)
    }

    /// Prints `mailform: error: …` and exits 1 (or `code`).
    static func fatal(_ message: String, hint: String? = nil, code: Int32 = 1) -> Never {
        let style = Style.forStream(2)
        Console.err("mailform: \(style.red(style.bold("error"))): \(message)\n")
        if let hint { Console.err("  \(style.dim("hint:")) \(hint)\n") }
        exit(code)
    }

    static func notice(_ message: String) {
        Console.err("mailform: \(message)\n")
    }

    /// Runs a library call; its error ends the command with exit 1.
    static func attempt<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch { fatal("\(error)") }
    }

    static func openStore(path: String, create: Bool, createKey: Bool? = nil, lockTimeout: Double) -> OpenedStore {
        do {
            let opened = try Reconciler.openStore(path: path, createStore: create, createKey: createKey, lockTimeout: lockTimeout)
            if let notice = opened.keyNotice { Pipeline.notice(notice) }
            return opened
        } catch let failure as Reconciler.Failure {
            fatal(failure.description)
        } catch {
            fatal("\(error)")
        }
    }
}

/// Options of commands that read or write the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "The SQLite store (default: MAILFORM_STORE, the workspace's store:, or mailform.db beside mailform.yaml).")
    var store: String?

    @Option(help: "Seconds to wait for another apply to finish before giving up.")
    var lockTimeout: Double = 10
}

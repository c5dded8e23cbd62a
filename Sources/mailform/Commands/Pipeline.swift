import ArgumentParser
import Foundation
import MailformCore
import MailformStore

/// The stages every reconciling command runs first: load and validate the
/// files, then resolve their secrets. Problems are printed to stderr and end
/// the command with exit 1 before anything touches the store.
enum Pipeline {
    struct Loaded {
        var result: LoadResult
        var desired: [Company<ResolvedSecret>]
    }

    static func loadAndResolve(_ input: InputOptions, quiet: Bool = false) throws -> Loaded {
        let result = CompanyLoader.load(paths: input.paths, workspaceOverride: input.workspace)
        var diagnostics = result.diagnostics
        if diagnostics.hasErrors { fail(diagnostics, files: result.fileCount) }
        let resolver = Resolver(workspace: result.workspace, files: result.files, environment: ProcessInfo.processInfo.environment)
        let desired = resolver.resolve(result.companies, diagnostics: &diagnostics)
        if diagnostics.hasErrors { fail(diagnostics, files: result.fileCount) }
        if !quiet, diagnostics.warningCount > 0 {
            Console.err(DiagnosticRenderer.text(diagnostics.sorted, style: Style.forStream(2)))
        }
        return Loaded(result: result, desired: desired)
    }

    static func fail(_ diagnostics: DiagnosticCollector, files: Int) -> Never {
        Console.err(DiagnosticRenderer.text(diagnostics.sorted, style: Style.forStream(2)))
        Console.err(DiagnosticRenderer.summary(files: files, errors: diagnostics.errorCount, warnings: diagnostics.warningCount)
                    + "; nothing was written\n")
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

    static func openStore(path: String, create: Bool, lockTimeout: Double) -> OpenedStore {
        do {
            let opened = try Reconciler.openStore(path: path, createStore: create, lockTimeout: lockTimeout)
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

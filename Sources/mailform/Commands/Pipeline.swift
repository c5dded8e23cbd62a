import ArgumentParser
import Foundation
import MailformCore
import MailformProbe
import MailformStore
import MailformWorkflow

/// The CLI's side of the workflows: turning flags into requests, and errors
/// and notices into output and exit codes. The workflows themselves
/// (MailformWorkflow) never print and never exit.
///
/// `writes` says whether the command could have written anything (apply,
/// export, plan --out): only then does the summary add "nothing was written";
/// probe, history and a plain plan never write.
enum Pipeline {
    static func input(_ input: InputOptions, store: String? = nil, lockTimeout: Double = 10) -> WorkspaceInput {
        WorkspaceInput(paths: input.paths, workspace: input.workspace, trustedWorkspace: input.trustedWorkspace, storeFlag: store,
                       lockTimeout: lockTimeout)
    }

    /// Hooks that print notices and warnings the way every command does.
    static func hooks(quiet: Bool) -> WorkflowHooks {
        var hooks = WorkflowHooks()
        hooks.notice = { notice($0) }
        hooks.info = { if !quiet { notice($0) } }
        hooks.warnings = { if !quiet { Console.err(DiagnosticRenderer.text($0, style: Style.forStream(2))) } }
        let progress = ProgressLine(enabled: isatty(2) == 1)
        hooks.progress = { done, total in
            progress.update(done, total)
            if done >= total { progress.finish() }
        }
        return hooks
    }

    /// Renders a workflow's error; the returned exit code is what to throw.
    static func render(_ error: WorkflowError, writes: Bool) -> ExitCode {
        if case .invalid(let diagnostics, let files) = error { return fail(diagnostics, files: files, writes: writes) }
        return fatal(error, exit: error.exitCode)
    }

    /// Prints located diagnostics and the summary line; exit 1.
    static func fail(_ diagnostics: DiagnosticCollector, files: Int, writes: Bool) -> ExitCode {
        Console.err(DiagnosticRenderer.text(diagnostics.sorted, style: Style.forStream(2)))
        Console.err(DiagnosticRenderer.summary(files: files, errors: diagnostics.errorCount, warnings: diagnostics.warningCount)
                    + (writes ? "; nothing was written\n" : "\n"))
        return ExitCode(1)
    }

    /// Prints `mailform: error: MESSAGE [CODE]` (and a hint); exit 1 or `exit`.
    /// The code goes at the end of the message's first line, as a
    /// diagnostic's rule id does.
    static func fatal(_ error: any MailformError, exit: Int32 = 1) -> ExitCode {
        let style = Style.forStream(2)
        var lines = error.message.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.isEmpty { lines = [""] }
        // A first line that introduces a list keeps its colon last.
        if lines.count > 1, lines[0].hasSuffix(":") { lines[0] = lines[0].dropLast() + " [\(error.code)]:" } else { lines[0] += " [\(error.code)]" }
        Console.err("mailform: \(style.red(style.bold("error"))): \(lines.joined(separator: "\n"))\n")
        if let hint = error.hint { Console.err("  \(style.dim("hint:")) \(hint)\n") }
        return ExitCode(exit)
    }

    /// `fatal` of an error the CLI itself finds.
    static func fatal(_ code: ErrorCode, _ message: String, hint: String? = nil) -> ExitCode {
        fatal(ReportedError(code, message, hint: hint), exit: code == .usage ? ExitCode.validationFailure.rawValue : 1)
    }

    static func notice(_ message: String) {
        Console.err("mailform: \(message)\n")
    }

    /// Runs a workflow step; its error is rendered and becomes the exit code.
    static func attempt<T>(writes: Bool, _ body: () throws(WorkflowError) -> T) throws -> T {
        do { return try body() } catch { throw render(error, writes: writes) }
    }

    static func openStore(path: String, create: Bool, createKey: Bool? = nil, lockTimeout: Double, readOnly: Bool = false) throws -> OpenedStore {
        let opened = try attempt(writes: false) { () throws(WorkflowError) in
            try Stages.openStore(path: path, create: create, createKey: createKey, lockTimeout: lockTimeout,
                                 environment: ProcessInfo.processInfo.environment, readOnly: readOnly)
        }
        if let notice = opened.keyNotice { Pipeline.notice(notice) }
        return opened
    }
}

/// Options of commands that read or write the store.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store: an SQLite file, or postgresql://USER@HOST:PORT/DATABASE (default: MAILFORM_STORE, the workspace's store:, or mailform.db beside mailform.yaml).")
    var store: String?

    @Option(help: "Seconds to wait for another apply to finish before giving up (0 to 3600).")
    var lockTimeout: Double = 10

    /// A wait SQLite can take: finite, 0 to an hour (`nan`, `inf` or 1e300
    /// once stopped the process converting it to milliseconds).
    func validate() throws {
        guard lockTimeout.isFinite, lockTimeout >= 0, lockTimeout <= 3600 else {
            throw ValidationError("--lock-timeout must be a number of seconds from 0 to 3600, not '\(lockTimeout)'")
        }
    }
}

/// The process is about to exit: freeing a plan of 100,000 companies object
/// by object would take longer than making it. What is handed here stays
/// referenced until the process ends, and the system reclaims it at once.
enum Teardown {
    nonisolated(unsafe) private static var kept: [Any] = []
    static func skip(_ value: Any) { kept.append(value) }
}

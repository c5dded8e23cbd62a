import ArgumentParser
import MailformCore
import MailformWorkflow

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check company files against the schema and the policy rules.",
        discussion: "Reports every problem of every file at once as path:line:column. Exit 0 when clean, 1 on errors (or warnings with --strict)."
    )

    @OptionGroup var input: InputOptions

    @Option(help: "Output format; github prints GitHub Actions workflow annotations.")
    var format: ValidateFormat = .text

    @Flag(help: "Treat warnings as errors.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Print only problems, not the summary line.")
    var quiet = false

    func run() throws {
        // In batches, keeping nothing of a company but its problems: memory
        // follows the batch, not the number of files.
        // The trusted workspace's settings (fences, policy, waivable rules)
        // replace the workspace's own, as for plan.
        let result = CompanyLoader.load(paths: input.paths, workspaceOverride: input.workspace, options: Pipeline.input(input).options,
                                        batching: CompanyLoader.Batching(size: 2_048) { _, _ in })
        let diagnostics = result.diagnostics.sorted
        let errors = result.diagnostics.errorCount
        let warnings = result.diagnostics.warningCount
        switch format {
        case .json:
            Console.out(JSONOutput.string([
                "files": result.fileCount,
                "companies": result.validCount,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diagnostics.map(DiagnosticRenderer.jsonObject),
            ] as [String: Any]))
        case .github:
            Console.out(DiagnosticRenderer.github(diagnostics))
            if !quiet { Console.out(DiagnosticRenderer.summary(files: result.fileCount, errors: errors, warnings: warnings) + "\n") }
        default:
            let style = Style.forStream(1)
            Console.out(DiagnosticRenderer.text(diagnostics, style: style))
            if !quiet { Console.out(DiagnosticRenderer.summary(files: result.fileCount, errors: errors, warnings: warnings) + "\n") }
        }
        if errors > 0 || (strict && warnings > 0) { throw ExitCode(1) }
    }
}

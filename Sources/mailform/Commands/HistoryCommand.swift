import ArgumentParser
import Foundation
import MailformCore
import MailformStore

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the applied store revisions, newest first: when, who, source commit, what changed.",
        discussion: "Each apply adds one store revision to the log; each company also counts its own company revisions (the ones a saved plan checks)."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The workspace file or folder (for the store location).")
    var workspace: String?

    @Option(name: .customLong("company"), help: "Only revisions that touched this company.")
    var company: String?

    @Option(help: "Output format.")
    var format: TextOrJSONFormat = .text

    @Option(help: "Show at most this many revisions.")
    var limit: Int?

    @Flag(name: .shortAndLong, help: "Text format: one line per revision, without the companies it changed.")
    var quiet = false

    func run() throws {
        var diagnostics = DiagnosticCollector()
        let ws = WorkspaceLoader.load(file: WorkspaceLoader.find(paths: ["."], override: workspace), files: SourceFiles(), diagnostics: &diagnostics)
        if diagnostics.hasErrors { throw Pipeline.fail(diagnostics, files: 1, writes: false) }
        let path = StoreLocation.resolve(flag: storeOptions.store, workspace: ws)
        let revisions: [Revision]
        do {
            guard let store = try Store.open(path: path, create: false, lockTimeout: storeOptions.lockTimeout, readOnly: true) else {
                throw Pipeline.fatal(.storeNotFound, "no store at \(SafeText.escape(Paths.display(path)))\(StoreLocation.didYouMean(path))", hint: "apply first, or name the store with --store")
            }
            revisions = try store.history(company: company, limit: limit)
        } catch let failure as Store.Failure {
            throw Pipeline.fatal(failure)
        }
        if format == .json {
            Console.out(JSONOutput.string(["revisions": revisions.map(\.jsonObject)]))
            return
        }
        if revisions.isEmpty { Console.out("No revisions\(company.map { " for company \($0)" } ?? "").\n"); return }
        let style = Style.forStream(1)
        for revision in revisions {
            let commit = revision.sourceCommit.map { " commit \($0.prefix(12))" + ($0.hasSuffix("-dirty") ? " (with uncommitted changes)" : "") } ?? ""
            Console.out(style.bold("store revision \(revision.id)") + "  \(revision.appliedAt)  by \(revision.actor)\(commit)\n")
            if quiet { continue }
            Console.out("  \(revision.summary)\n")
            // A revision of 100,000 companies: the first 50, then how many more (--format json has them all).
            for change in revision.changes.prefix(50) {
                let detail: String
                switch change.action {
                case .change: detail = ": " + change.fields.joined(separator: ", ")
                case .add: detail = " (\(change.fields.count) settings)"
                case .delete: detail = ""
                }
                Console.out("  \(change.action.symbol) \(change.company)\(detail)\n")
            }
            if revision.changes.count > 50 {
                Console.out("  … and \(revision.changes.count - 50) more compan\(revision.changes.count == 51 ? "y" : "ies") (--company ID, or --format json for all)\n")
            }
            Console.out("\n")
        }
    }
}

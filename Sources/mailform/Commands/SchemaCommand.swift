import ArgumentParser
import MailformCore

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the published JSON Schemas (the very files the binary validates with)."
    )

    enum Which: String, ExpressibleByArgument, CaseIterable { case company, workspace, plan }

    @Argument(help: "company, workspace or plan (the JSON output of plan; default: company).")
    var which: Which = .company

    func run() throws {
        switch which {
        case .company: Console.out(SchemaCatalog.companyText)
        case .workspace: Console.out(SchemaCatalog.workspaceText)
        case .plan: Console.out(SchemaCatalog.planText)
        }
    }
}

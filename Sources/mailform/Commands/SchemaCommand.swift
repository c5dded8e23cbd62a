import ArgumentParser
import MailformCore

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the published JSON Schemas (the very files the binary validates with)."
    )

    enum Which: String, ExpressibleByArgument, CaseIterable { case company, workspace }

    @Argument(help: "company or workspace (default: company).")
    var which: Which = .company

    func run() throws {
        Console.out(which == .company ? SchemaCatalog.companyText : SchemaCatalog.workspaceText)
    }
}

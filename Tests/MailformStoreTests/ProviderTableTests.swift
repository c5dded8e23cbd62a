import Foundation
import GRDB
import Testing
@testable import MailformCore
@testable import MailformStore

/// Each HTTP-API provider's store table is the one its fields describe:
/// Mailgun's, made by the numbered migrations long before providers were
/// plug-ins, has exactly the columns (and NOT NULLs) its fields derive;
/// a provider added later gets its table from a migration of its own.
struct ProviderTableTests {
    @Test func everyProviderTableIsTheOneItsFieldsDescribe() throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue)
        for api in ProviderSchemes.apis {
            let columns = try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT name, \"notnull\" AS nn FROM pragma_table_info(?) ORDER BY cid", arguments: [api.table])
                    .map { ($0["name"] as String, ($0["nn"] as Int) == 1) }
            }
            #expect(!columns.isEmpty, "no table \(api.table)")
            // The derived definition, as SQLite reads it.
            let derived = try DatabaseQueue().write { db -> [(String, Bool)] in
                try db.execute(sql: "CREATE TABLE companies (id TEXT PRIMARY KEY); CREATE TABLE derived (\(api.tableDefinition))")
                return try Row.fetchAll(db, sql: "SELECT name, \"notnull\" AS nn FROM pragma_table_info('derived') ORDER BY cid")
                    .map { ($0["name"] as String, ($0["nn"] as Int) == 1) }
            }
            #expect(Set(columns.map { "\($0.0):\($0.1)" }) == Set(derived.map { "\($0.0):\($0.1)" }), "\(api.table)")
            #expect(Set(columns.map(\.0)) == Set(["company_id"] + api.columns), "\(api.table): the rows' columns")
        }
        // No provider's table needed a rebuild: Mailgun's came with the numbered migrations.
        let applied = try queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        let providerMigrations = applied.filter { $0.hasPrefix("provider-") }
        #expect(Set(providerMigrations) == Set(ProviderSchemes.apis.filter { !Migrations.builtInProviderTables.contains($0.table) }
            .map { "provider-\($0.word)-v1" }))
    }
}

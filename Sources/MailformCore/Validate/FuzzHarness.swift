import Foundation
import JSONSchema

/// The entry the fuzzers (Fuzz/) and their regression tests share: one company
/// file's bytes through load → schema → policy, in a throwaway workspace.
public enum FuzzHarness {
    /// Returns the number of diagnostics (0 for a valid company).
    public static func validateCompany(_ bytes: [UInt8]) -> Int {
        let files = SourceFiles()
        let source = files.add(absolutePath: "/fuzz/companies/fuzz.yaml")
        var workspace = Workspace(root: "/fuzz")
        workspace.mode = bytes.first.map { $0 & 1 == 0 } ?? true ? .saas : .onPremise
        switch YAMLLoader(source: source).load(bytes) {
        case .failure:
            return 1
        case .success(let tree):
            let violations = SchemaCatalog.company.validate(tree)
            if !violations.isEmpty {
                return SchemaDiagnostics(files: files, schema: SchemaCatalog.companyJSON).diagnostics(for: violations, companyID: nil).count
            }
            guard let company = CompanyDecoder.decode(tree) else { return 1 }
            let context = PolicyContext(company: company, tree: tree, workspace: workspace, filePath: "/fuzz/companies/fuzz.yaml", files: files)
            return Policy.check(context).count
        }
    }
}

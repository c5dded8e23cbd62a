import JSONSchema

/// resolve: reads the secret values behind every reference of the loaded
/// companies. Each reference that cannot be read is a diagnostic at the
/// reference's position; the company is then left out.
public struct Resolver: Sendable {
    public let secrets: SecretResolver
    let files: SourceFiles

    /// - Parameter owners: env forms of every company and profile the run
    ///   knows (files and store), for the `{company}` fence.
    public init(workspace: Workspace, files: SourceFiles, environment: [String: String], owners: Set<String> = [],
                companyOwners: Set<String> = [], ownersIncludeCompanies: Bool = false) {
        self.secrets = SecretResolver(workspace: workspace, environment: environment, owners: owners, companyOwners: companyOwners,
                                      ownersIncludeCompanies: ownersIncludeCompanies)
        self.files = files
    }

    /// - Parameter referencesOnly: check every reference against the fences
    ///   but read no value (a plan against a snapshot holds no secret): each
    ///   secret is empty, and only its reference is compared.
    public func resolve(_ loaded: [LoadedCompany], diagnostics: inout DiagnosticCollector,
                        referencesOnly: Bool = false) -> [Company<ResolvedSecret>] {
        let root = secrets.workspace.root
        // Companies are resolved in parallel, reported in order.
        let outcomes = Parallel.map(loaded.count) { i -> (Company<ResolvedSecret>, [Diagnostic]) in
            let entry = loaded[i]
            var problems: [Diagnostic] = []
            let resolved = entry.company.map { reference -> ResolvedSecret in
                let origin = files.absolutePath(of: reference.mark) ?? entry.path
                let owner = secrets.owner(ofFile: origin, company: entry.company.id)
                let canonical = reference.canonical(origin: origin, workspaceRoot: root)
                var fromProfile = false
                if case .profile = owner { fromProfile = true }
                let outcome = referencesOnly
                    ? (secrets.checkFence(reference, referencedFrom: origin, owner: owner).map { .failure($0) } ?? .success(Secret("")))
                    : secrets.resolve(reference, referencedFrom: origin, owner: owner)
                switch outcome {
                case .success(let secret):
                    return ResolvedSecret(reference: reference, secret: secret, origin: origin, canonical: canonical, fromProfile: fromProfile)
                case .failure(let problem):
                    problems.append(.error(problem.message, at: files.location(reference.mark),
                                           hint: problem.hint(workspace: secrets.workspace, owner: owner), rule: problem.rule))
                    return ResolvedSecret(reference: reference, secret: Secret(""), origin: origin, canonical: canonical, fromProfile: fromProfile)
                }
            }
            return (resolved, problems)
        }
        var result: [Company<ResolvedSecret>] = []
        for (resolved, problems) in outcomes {
            if problems.isEmpty { result.append(resolved) } else { diagnostics.report(contentsOf: problems) }
        }
        return result
    }
}

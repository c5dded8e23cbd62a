/// Secret references stay inside the fences of `mailform.yaml`.
struct SecretFenceRule: PolicyRule {
    let id = "secret-fence"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        let resolver = SecretResolver(workspace: context.workspace, environment: [:])
        var references: [(String, SecretReference)] = context.company.smtpServers.compactMap { path, server in
            server.password.map { ("\(path).password", $0) }
        }
        if context.company.provider == .mailgun, let key = context.company.mailgun?.apiKey { references.append(("mailgun.api_key", key)) }
        return references.compactMap { path, reference in
            let file = context.files.absolutePath(of: reference.mark) ?? context.filePath
            guard let problem = resolver.checkFence(reference, referencedFrom: file) else { return nil }
            return Diagnostic.error(problem.message, at: context.location(path), hint: problem.hint(workspace: context.workspace),
                                    rule: problem.rule)
        }
    }
}

/// A logo path names an image under 1 MiB inside the workspace.
struct LogoRule: PolicyRule {
    let id = "logo-file"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        guard case .image(let image)? = context.company.logo else { return [] }
        let node = context.tree["sender"]?["logo"]
        let file = context.files.absolutePath(of: node?.mark) ?? context.filePath
        if case .failure(let problem) = LogoLoader.load(image.fileName, from: file, workspaceRoot: context.workspace.root) {
            return [error("\(problem.message): '\(image.fileName)'", at: context.location("sender.logo"),
                          hint: "set sender.logo to an https URL or to a PNG, JPEG or SVG file under 1 MiB beside the company file")]
        }
        return []
    }
}

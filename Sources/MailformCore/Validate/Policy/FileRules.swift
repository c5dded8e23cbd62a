/// A logo path names an image under 1 MiB inside the workspace.
struct LogoRule: PolicyRule {
    let id = "logo-file"

    func check(_ context: PolicyContext) -> [Diagnostic] {
        guard case .image(let image)? = context.company.logo else { return [] }
        let node = context.tree["sender"]?["logo"]
        let file = context.files.absolutePath(of: node?.mark) ?? context.filePath
        if case .failure(let problem) = context.logo ?? LogoLoader.load(image.fileName, from: file, fence: context.workspace.fence) {
            return [error("\(problem.message): '\(image.fileName)'", at: context.location("sender.logo"),
                          hint: "set sender.logo to an https URL or to a PNG, JPEG or SVG file under 1 MiB beside the company file")]
        }
        return []
    }
}

import JSONSchema

/// What a policy rule sees: one company, its merged tree (for positions) and
/// the workspace.
public struct PolicyContext {
    public var company: Company<SecretReference>
    public var tree: JSONNode
    public var workspace: Workspace
    /// The absolute path of the company file (logo paths are relative to it).
    public var filePath: String
    let files: SourceFiles
    /// The logo as the loader read it, when it was read before the rules
    /// ran (each file and image is then read once, not once per use).
    var logo: Result<LogoImage, LogoLoader.Problem>?

    /// The position of the value at a dotted path, or of the nearest parent
    /// written in the file (for values that took a default).
    public func location(_ path: [PathElement]) -> SourceLocation? {
        var node = tree
        var best = tree.mark
        var keyMark: Mark?
        for element in path {
            switch element {
            case .key(let key):
                guard let member = node.value.members?.first(where: { $0.key == key }) else { return files.location(best) }
                node = member.value
                keyMark = member.keyMark
            case .index(let i):
                guard let items = node.value.elements, i < items.count else { return files.location(best) }
                node = items[i]
                keyMark = nil
            }
            best = node.mark ?? best
        }
        // A section (mapping or list) is shown at its key, a value at the value.
        switch node.value {
        case .object, .array: return files.location(keyMark ?? best)
        default: return files.location(best)
        }
    }

    public func location(_ dotted: String) -> SourceLocation? { location(PolicyContext.parse(dotted)) }

    /// Parses `smtp_pools.relay.servers[0].port` into path elements.
    static func parse(_ dotted: String) -> [PathElement] {
        var out: [PathElement] = []
        for part in dotted.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"), let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indexes.insert(i, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty { out.append(.key(String(name))) }
            out.append(contentsOf: indexes.map(PathElement.index))
        }
        return out
    }
}

/// A policy rule on top of the schema: a stable id, a severity, and a check.
public protocol PolicyRule: Sendable {
    /// The stable id shown in brackets, e.g. `saas-smtp-port`.
    var id: String { get }
    /// Whether the rule applies in this workspace mode.
    func applies(to mode: Mode) -> Bool
    func check(_ context: PolicyContext) -> [Diagnostic]
}

extension PolicyRule {
    public func applies(to mode: Mode) -> Bool { true }

    func error(_ message: String, at location: SourceLocation?, hint: String) -> Diagnostic {
        .error(message, at: location, hint: hint, rule: id)
    }

    func warning(_ message: String, at location: SourceLocation?, hint: String) -> Diagnostic {
        .warning(message, at: location, hint: hint, rule: id)
    }
}

/// Every policy rule, in the order they report.
public enum Policy {
    /// The rules of every provider and auth method, and those of the company as a whole.
    public static let rules: [any PolicyRule] = ProviderSchemes.all.flatMap(\.rules)
        + [DSARDomainRule(), PoolPurposeRule(), UnusedProviderSettingsRule(), LogoRule()]
        + SMTPAuthSchemes.all.flatMap(\.rules)

    public static func check(_ context: PolicyContext) -> [Diagnostic] {
        rules.filter { $0.applies(to: context.workspace.mode) }.flatMap { $0.check(context) }
    }
}

import JSONSchema

/// The published schemas, embedded in the binary from `schemas/` at build time,
/// compiled once per process.
public enum SchemaCatalog {
    public static let companyText = String(decoding: PackageResources.company_schema_json, as: UTF8.self)
    public static let workspaceText = String(decoding: PackageResources.workspace_schema_json, as: UTF8.self)
    public static let planText = String(decoding: PackageResources.plan_schema_json, as: UTF8.self)

    static let companyJSON: JSONNode = try! JSONParser.parse(companyText)
    static let workspaceJSON: JSONNode = try! JSONParser.parse(workspaceText)

    /// A programmer error if the embedded schema does not compile: the test
    /// suite compiles both, so a broken schema never ships.
    public static let company: Validator = try! Validator(schema: companyJSON, baseURI: "https://mailform.dev/schemas/company.schema.json")
    public static let workspace: Validator = try! Validator(schema: workspaceJSON, baseURI: "https://mailform.dev/schemas/workspace.schema.json")

    /// The `description` the schema gives the field at `path`, for hints.
    static func description(in schema: JSONNode, at path: [PathElement]) -> String? {
        var node = schema
        for element in path {
            node = resolveRef(node, root: schema)
            switch element {
            case .key(let key):
                if let property = node["properties"]?[key] {
                    node = property
                } else if let additional = node["additionalProperties"], case .object = additional.value {
                    node = additional
                } else {
                    return nil
                }
            case .index:
                guard let items = node["items"] else { return nil }
                node = items
            }
        }
        if let text = node["description"]?.value.stringValue { return text }
        return resolveRef(node, root: schema)["description"]?.value.stringValue
    }

    private static func resolveRef(_ node: JSONNode, root: JSONNode) -> JSONNode {
        guard let ref = node["$ref"]?.value.stringValue, ref.hasPrefix("#/") else { return node }
        var target = root
        for token in ref.dropFirst(2).split(separator: "/") {
            guard let next = target[String(token)] else { return node }
            target = next
        }
        return target
    }
}
